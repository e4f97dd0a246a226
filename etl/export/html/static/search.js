// Browser search over the archive's index (search/, written by rcetl: search_index.py), matched
// and ranked by MiniSearch (vendored: minisearch.js, loaded before this file).
// search/index.json routes each word to the room-month shards holding it; only the shards that
// hold a word starting with every query word are fetched, newest month first, and their messages
// are added to one MiniSearch index, until a page of answers is found (a common word stops in its
// newest months). Answers are ranked by MiniSearch's BM25 score among the messages fetched.
// Results are built with DOM nodes and textContent only: nothing from the index is parsed as HTML.
(() => {
  const root = new URL("./", document.currentScript.src).href.replace(/static\/$/, "");
  const form = document.getElementById("search-form");
  const input = document.getElementById("search-input");
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  const LIMIT = 100; // answers shown
  const BATCH = 12; // shards fetched at a time
  const WORD = /[\p{L}\p{N}_]+/gu; // Python's \w+ over lower-cased text, as the index was built
  const words = (text) => text.toLowerCase().match(WORD) || [];
  const index = new MiniSearch({
    fields: ["text", "author", "room"],
    storeFields: ["href", "author", "utc", "room", "text"],
    tokenize: (text) => text.match(WORD) || [],
    processTerm: (term) => term.toLowerCase(),
    searchOptions: { prefix: true, combineWith: "AND", boost: { text: 2 } },
  });
  const added = new Set(); // shard paths already in the index
  let router = null;

  async function json(path) {
    const answer = await fetch(root + path);
    if (!answer.ok) throw new Error(path + ": HTTP " + answer.status);
    return answer.json();
  }

  async function loadRouter() {
    const loaded = await json("search/index.json");
    return { shards: loaded.shards, terms: Object.entries(loaded.terms) };
  }

  // Shards holding, for every query word, some word that starts with it; newest month first.
  function candidates(query) {
    let found = null;
    for (const q of query) {
      const hit = new Set();
      for (const [term, listed] of router.terms) {
        if (term.startsWith(q)) for (const i of listed) hit.add(i);
      }
      found = found === null ? hit : new Set([...found].filter((i) => hit.has(i)));
    }
    return [...(found || [])].sort((a, b) =>
      router.shards[b][2].localeCompare(router.shards[a][2]) || a - b);
  }

  function link(shard, page, id) {
    const path = shard.pages[page].split("/").map(encodeURIComponent).join("/");
    return new URL(path + "#m-" + encodeURIComponent(id), root).href;
  }

  async function addShard(path) {
    if (added.has(path)) return;
    const shard = await json(path);
    if (added.has(path)) return; // fetched twice by overlapping searches
    added.add(path);
    index.addAll(shard.docs.map(([id, page, author, utc, text]) => (
      { id: path + "\n" + id, href: link(shard, page, id), author, utc, room: shard.room, text })));
  }

  // The text around the first matched word, with every matched word marked.
  function excerpt(text, matched) {
    const lower = text.toLowerCase();
    const first = Math.min(...matched.map((t) => lower.indexOf(t)).filter((i) => i >= 0), text.length);
    const start = Math.max(0, first - 60);
    const part = text.slice(start, start + 200);
    const out = document.createDocumentFragment();
    if (start > 0) out.appendChild(document.createTextNode("…"));
    let at = 0;
    for (const m of part.matchAll(WORD)) {
      if (!matched.includes(m[0].toLowerCase())) continue;
      out.appendChild(document.createTextNode(part.slice(at, m.index)));
      const mark = document.createElement("mark");
      mark.textContent = m[0];
      out.appendChild(mark);
      at = m.index + m[0].length;
    }
    out.appendChild(document.createTextNode(part.slice(at) + (start + 200 < text.length ? "…" : "")));
    return out;
  }

  function resultItem(hit) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = hit.href;
    a.className = "result";
    a.textContent = hit.room + " · @" + hit.author + " · " + hit.utc;
    const p = document.createElement("p");
    p.className = "excerpt";
    p.appendChild(excerpt(hit.text, hit.terms));
    li.append(a, p);
    return li;
  }

  async function run(text) {
    list.replaceChildren();
    if (location.protocol === "file:") {
      status.textContent = "Search needs the archive served over HTTP (rcetl export html --serve, or any static web server).";
      return;
    }
    const query = words(text);
    if (!query.length) { status.textContent = "Type a word."; return; }
    status.textContent = "Searching…";
    try {
      if (!router) router = await loadRouter();
      const todo = candidates(query);
      let found = [];
      let i = 0;
      while (i < todo.length && found.length < LIMIT) {
        await Promise.all(todo.slice(i, i + BATCH).map((n) => addShard(router.shards[n][0])));
        i += BATCH;
        found = index.search(query.join(" "));
      }
      for (const hit of found.slice(0, LIMIT)) list.appendChild(resultItem(hit));
      const shown = Math.min(found.length, LIMIT);
      status.textContent = i < todo.length || found.length > LIMIT
        ? shown + " messages shown, best matches from the newest months (add words to narrow the search)"
        : found.length + " message" + (found.length === 1 ? "" : "s") + " found";
    } catch (err) {
      status.textContent = "Search is not available: " + err;
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = input.value.trim();
    history.replaceState(null, "", "?q=" + encodeURIComponent(query));
    if (query) run(query);
  });
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; run(initial); }
})();
