// Browser search over the archive's own index (search/, written by rcetl: search_index.py).
// search/index.json routes each word to the room-month shards holding it; only the shards that
// hold every query word are fetched, newest month first, until a page of answers is found (a
// common word stops in its newest months: the answers are those months', newest first).
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
  const shards = new Map(); // path -> fetched shard
  let router = null;

  const words = (text) => text.toLowerCase().match(WORD) || [];

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

  async function shard(path) {
    if (!shards.has(path)) shards.set(path, await json(path));
    return shards.get(path);
  }

  function matches(query, haystack) {
    const own = words(haystack);
    return query.every((q) => own.some((w) => w.startsWith(q)));
  }

  // The text around the first query word, with every query word's start marked.
  function excerpt(text, query) {
    const lower = text.toLowerCase();
    const first = Math.min(...query.map((q) => lower.indexOf(q)).filter((i) => i >= 0), text.length);
    const start = Math.max(0, first - 60);
    const part = text.slice(start, start + 200);
    const out = document.createDocumentFragment();
    if (start > 0) out.appendChild(document.createTextNode("…"));
    let at = 0;
    for (const m of part.matchAll(WORD)) {
      const word = m[0].toLowerCase();
      if (!query.some((q) => word.startsWith(q))) continue;
      out.appendChild(document.createTextNode(part.slice(at, m.index)));
      const mark = document.createElement("mark");
      mark.textContent = m[0];
      out.appendChild(mark);
      at = m.index + m[0].length;
    }
    out.appendChild(document.createTextNode(part.slice(at) + (start + 200 < text.length ? "…" : "")));
    return out;
  }

  function resultItem(room, loaded, doc, query) {
    const [id, page, author, utc, text] = doc;
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = new URL(loaded.pages[page].split("/").map(encodeURIComponent).join("/") + "#m-" +
      encodeURIComponent(id), root).href;
    a.className = "result";
    a.textContent = room + " · @" + author + " · " + utc;
    const p = document.createElement("p");
    p.className = "excerpt";
    p.appendChild(excerpt(text, query));
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
      const found = [];
      let i = 0;
      while (i < todo.length && found.length < LIMIT) {
        const batch = todo.slice(i, i + BATCH).map((n) => router.shards[n]);
        i += BATCH;
        const loaded = await Promise.all(batch.map(([path]) => shard(path)));
        loaded.forEach((s, n) => {
          for (const doc of s.docs) {
            if (matches(query, doc[2] + " " + doc[4] + " " + s.room)) found.push({ s, doc, month: batch[n][2] });
          }
        });
      }
      found.sort((x, y) => y.doc[3].localeCompare(x.doc[3]));
      for (const { s, doc } of found.slice(0, LIMIT)) list.appendChild(resultItem(s.room, s, doc, query));
      const shown = Math.min(found.length, LIMIT);
      status.textContent = i < todo.length || found.length > LIMIT
        ? shown + " messages shown, from the newest months (add words to narrow the search)"
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
