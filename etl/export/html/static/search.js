// Browser search over the Pagefind index in ./pagefind/. Results are built with DOM nodes and
// textContent only: nothing from the index is ever parsed as HTML except Pagefind's <mark>s.
(() => {
  const root = new URL("./", document.currentScript.src).href.replace(/static\/$/, "");
  const form = document.getElementById("search-form");
  const input = document.getElementById("search-input");
  const status = document.getElementById("search-status");
  const list = document.getElementById("search-results");
  let pagefind = null;

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
      if (!pagefind) {
        pagefind = await import(root + "pagefind/pagefind.js");
        await pagefind.options({ basePath: root + "pagefind/", excerptLength: 24 });
      }
      const found = await pagefind.search(query);
      const pages = await Promise.all(found.results.slice(0, 20).map((r) => r.data()));
      let shown = 0;
      for (const data of pages) {
        const subs = (data.sub_results || []).filter((s) => /#m-/.test(s.url));
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
