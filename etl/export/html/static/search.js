// Browser search over the Pagefind index in ./pagefind/. Results are built with DOM nodes and
// textContent only: nothing from the index is ever parsed as HTML except Pagefind's <mark>s.
(() => {
  const root = new URL("./", document.currentScript.src).href.replace(/static\/$/, "");
  const form = document.getElementById("search-form");
  const input = document.getElementById("search-input");
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  let engines = null;

  // The full index (pagefind/) and, after incremental exports, a small one of the messages changed
  // since (pagefind-delta/): its delta.json names the messages the full index no longer answers for.
  async function engine(folder) {
    const pagefind = await import(root + folder + "/pagefind.js");
    await pagefind.options({ basePath: root + folder + "/", excerptLength: 24 });
    return pagefind;
  }

  async function load() {
    const loaded = { base: await engine("pagefind"), delta: null, superseded: new Set() };
    const answer = await fetch(root + "pagefind-delta/delta.json").catch(() => null);
    if (answer && answer.ok) {
      const delta = await answer.json();
      loaded.superseded = new Set(delta.superseded);
      if (delta.index) loaded.delta = await engine("pagefind-delta");
    }
    return loaded;
  }

  function anchorId(url) {
    const at = url.indexOf("#m-");
    if (at < 0) return null;
    const id = url.slice(at + 3);
    try { return decodeURIComponent(id); } catch (err) { return id; }
  }

  function excerptNodes(excerpt) {
    const doc = new DOMParser().parseFromString("<div>" + excerpt + "</div>", "text/html");
    const out = document.createDocumentFragment();
    for (const node of doc.body.firstChild.childNodes) {
      if (node.nodeName === "MARK") {
        const mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent));
      }
    }
    return out;
  }

  // One item per matching message: Pagefind's sub-results are the message headers (author and
  // time, with the #m-<id> anchor); the room comes from the page's meta.
  function resultItem(room, sub) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = new URL(sub.url.replace(/^\//, ""), root).href;
    a.className = "result";
    a.textContent = room + " · " + sub.title.replace(/\s+/g, " ").trim();
    const p = document.createElement("p");
    p.className = "excerpt";
    p.appendChild(excerptNodes(sub.excerpt || ""));
    li.append(a, p);
    return li;
  }

  async function run(query) {
    list.replaceChildren();
    if (location.protocol === "file:") {
      status.textContent = "Search needs the archive served over HTTP (rcetl export html --serve, or any static web server).";
      return;
    }
    status.textContent = "Searching…";
    try {
      if (!engines) engines = await load();
      const searches = [engines.base, engines.delta].filter(Boolean).map(async (pagefind) => {
        const found = await pagefind.search(query);
        return found.results.map((r) => ({ r, base: pagefind === engines.base }));
      });
      const results = (await Promise.all(searches)).flat().sort((a, b) => b.r.score - a.r.score);
      const found = { results };
      const pages = await Promise.all(results.slice(0, 20).map(async (x) => ({ x, data: await x.r.data() })));
      let shown = 0;
      for (const { x, data } of pages) {
        const subs = (data.sub_results || []).filter(
          (s) => /#m-/.test(s.url) && !(x.base && engines.superseded.has(anchorId(s.url))));
        for (const sub of subs) {
          if (shown >= 100) break;
          list.appendChild(resultItem(data.meta.room || "", sub));
          shown++;
        }
      }
      status.textContent = shown + " message" + (shown === 1 ? "" : "s") + " on " +
        found.results.length + " page" + (found.results.length === 1 ? "" : "s") +
        (found.results.length > 20 ? " (first 20 pages shown)" : "");
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
