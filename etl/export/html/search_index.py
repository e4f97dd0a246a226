"""The browser search index: built by rcetl itself, one shard per room-month, rewritten with it.

Pagefind indexed the whole site again on every full run (half of the export's time) and could not
update an index, so a re-export needed a second index and a list of superseded answers. This index
is what a static site needs and nothing more:

- `search/rid=<room>/<month>.json`, a *shard* per room-month: the room's title, the month's page
  paths, and one document per message shown there: `[id, page, author, time (UTC), text]`, the
  text being what the page shows as words (message text or system sentence, file names,
  attachment titles and descriptions, link titles). A run writes the shards of the room-months it
  renders, from the same rows, so a shard changes exactly when its pages do.
- `search/index.json`, the *router*: the shards (`[path, room title, month]`) and, for every word
  of their documents, author names and room titles, the shards holding it. The search page loads
  it once, picks the shards holding a word starting with each query word, fetches only those,
  newest month first, and stops once it has a page of answers.

A later run takes the unchanged shards' words from the previous router rather than reading their
shards again, and falls back to reading a shard when the router lacks it (a run killed between
writing its shards and its router). Words are `\\w+` runs, lower-cased; search.js splits a query
the same way (Unicode letters, digits and `_`), and a query word matches any word it begins.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import orjson

from etl.export.html.manifest import read_unchanged
from etl.export.paths import join_relative, partition_segment

SEARCH_DIR = "search"
ROUTER = f"{SEARCH_DIR}/index.json"
SEARCH_FORMAT = 1
_WORD = re.compile(r"\w+")
_SEP = "\x1f"  # between a document's author, time and text in the fragment sidecar

Writer = Callable[[str, bytes], dict[str, Any]]


def shard_path(rid: str, month: str) -> str:
    return join_relative(SEARCH_DIR, partition_segment("rid", rid), f"{month}.json")


def search_document(view: dict[str, Any], row: dict[str, Any]) -> str:
    """A message as the search index holds it (author, time, words shown), one string for the
    fragment sidecar."""
    parts = [view["system"] or row.get("msg") or ""]
    parts += [str(f.get("name") or "") for f in view["files"]]
    for a in view["attachments"]:
        parts += [str(a["title"] or ""), str(a["description"] or "")]
    parts += [str(u.get("title") or "") for u in view["urls"]]
    text = " ".join(p for p in parts if p).replace(_SEP, " ")
    return f"{view['author']}{_SEP}{view['utc']}{_SEP}{text}"


def split_document(doc: str) -> list[str]:
    """A sidecar search document as a shard row's [author, time, text]."""
    return doc.split(_SEP, 2)


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _shard_words_of(title: str, docs: list[list[Any]]) -> set[str]:
    """A shard's words: its room title's, and its documents' authors' and texts', found in one
    pass (a regex call per message cost twice as much)."""
    return words(" ".join([title, *(d[2] for d in docs), *(d[4] for d in docs)]))


class SearchShards:
    """The shards a run writes, and the words each holds (for the router)."""

    def __init__(self, write: Writer) -> None:
        self.write = write
        self.words: dict[str, set[str]] = {}
        # Shards patched in place (splice.py): the words of their changed documents, before and
        # after, and the shard (its words are found only if the router must be built again).
        self.patched: dict[str, tuple[set[str], set[str], bytes]] = {}

    def add(
        self, rid: str, month: str, title: str, docs: Iterable[tuple[str, str, str]]
    ) -> dict[str, Any]:
        """Write one room-month's shard from (id, page, document) in page order; returns its
        file entry for the manifest."""
        pages: dict[str, int] = {}
        rows: list[list[Any]] = []
        for mid, page, doc in docs:
            rows.append([mid, pages.setdefault(page, len(pages)), *split_document(doc)])
        path = shard_path(rid, month)
        self.words[path] = _shard_words_of(title, rows)
        document = {"room": title, "pages": list(pages), "docs": rows}
        return self.write(path, orjson.dumps(document))

    def patch(self, path: str, data: bytes, before: list[str], after: list[str]) -> dict[str, Any]:
        """Write a previous run's shard with some documents replaced (`patched_shard`; `before`
        and `after`: the sidecar documents of the replaced ones)."""
        self.patched[path] = (
            words(" ".join(_SEP.join(split_document(d)[::2]) for d in before)),
            words(" ".join(_SEP.join(split_document(d)[::2]) for d in after)),
            data,
        )
        return self.write(path, data)

    def written(self) -> int:
        return len(self.words.keys() | self.patched.keys())

    def words_of(self, path: str) -> set[str] | None:
        """The words of a shard written by this run (None: not written)."""
        if path in self.patched and path not in self.words:
            shard = orjson.loads(self.patched[path][2])
            self.words[path] = _shard_words_of(shard["room"], shard["docs"])
        return self.words.get(path)


def patched_shard(data: bytes, title: str, changes: list[tuple[str, str, str]]) -> bytes | None:
    """A shard's bytes with some messages' documents replaced, `changes` being (id, old, new)
    sidecar documents; None unless each old row is there as orjson wrote it. orjson writes
    compactly, so a row's bytes are the same inside the shard as alone, and the shard a full
    export would write is this one with those rows' bytes swapped. A row is found by its start,
    `["<id>",`, which cannot occur inside a string (its quote would be escaped)."""
    if not data.startswith(b'{"room":' + orjson.dumps(title) + b',"pages":'):
        return None
    spans: list[tuple[int, int, bytes]] = []
    for mid, old, new in changes:
        start = b"[" + orjson.dumps(mid) + b","
        at = data.find(start)
        while at >= 0:
            index_end = data.find(b",", at + len(start))
            page = data[at + len(start) : index_end]
            rest = orjson.dumps(split_document(old))[1:]
            if page.isdigit() and data.startswith(rest, index_end + 1):
                row = start + page + b"," + orjson.dumps(split_document(new))[1:]
                spans.append((at, index_end + 1 + len(rest), row))
                break
            at = data.find(start, at + 1)
        else:
            return None
    pieces: list[bytes] = []
    cursor = 0
    for begin, end, row in sorted(spans):
        pieces += [data[cursor:begin], row]
        cursor = end
    return b"".join([*pieces, data[cursor:]])


def _previous_router(root: Path, sha256: str | None) -> dict[str, Any] | None:
    """The router the previous run wrote, if it still has the checksum its manifest gives."""
    data = read_unchanged(root, ROUTER, sha256)
    if data is None:
        return None
    try:
        router = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    return router if isinstance(router, dict) and router.get("format") == SEARCH_FORMAT else None


def _previous_words(router: dict[str, Any] | None) -> dict[str, set[str]]:
    """Shard path -> its words, from the router a previous run wrote (empty if there is none)."""
    if router is None:
        return {}
    try:
        paths = [shard[0] for shard in router["shards"]]
        found: dict[str, set[str]] = {p: set() for p in paths}
        for term, listed in router["terms"].items():
            for i in listed:
                found[paths[i]].add(term)
        return found
    except (KeyError, IndexError, TypeError):
        return {}


def _patched_router(
    router: dict[str, Any], listed: list[list[str]], shards: SearchShards
) -> dict[str, Any] | None:
    """The previous router with the postings of the shards patched in place (splice.py) moved;
    None when shards were rendered anew or the site's months changed: build it again."""
    if shards.words or router.get("shards") != listed:
        return None
    terms: dict[str, list[int]] = router["terms"]
    index = {shard[0]: i for i, shard in enumerate(listed)}
    fresh = False
    for path, (before, after, _) in shards.patched.items():
        i = index[path]
        added, gone = after, before - after
        if gone:  # words only the replaced documents held leave the shard
            added = shards.words_of(path) or set()
            gone -= added
        for term in added:
            postings = terms.get(term)
            if postings is None:
                terms[term] = [i]
                fresh = True
                continue
            at = bisect.bisect_left(postings, i)
            if at == len(postings) or postings[at] != i:
                postings.insert(at, i)
        for term in gone:
            postings = terms.get(term, [])
            if i in postings:
                postings.remove(i)
                if not postings:
                    del terms[term]
    if fresh:
        router["terms"] = dict(sorted(terms.items()))
    return router


def _shard_words(root: Path, path: str) -> set[str]:
    shard = orjson.loads((root / join_relative(path)).read_bytes())
    docs = shard["docs"]
    return _shard_words_of(shard["room"], docs)


def write_router(
    root: Path,
    shards: SearchShards,
    months: list[tuple[str, str, str]],
    previous: str | None,
) -> dict[str, Any]:
    """Write `search/index.json` over every shard of the site, `months` being (room id, room
    title, month) in the site's order, `previous` the checksum of the router the previous
    manifest lists (None: a first run); returns the manifest's search entry."""
    listed = [[shard_path(rid, month), title, month] for rid, title, month in months]
    router = _previous_router(root, previous) if previous else None
    document = _patched_router(router, listed, shards) if router else None
    if document is None:
        document = _built_router(root, _previous_words(router), listed, shards)
    shards.write(ROUTER, orjson.dumps(document))
    return {
        "tool": "rcetl",
        "format": SEARCH_FORMAT,
        "shards": len(listed),
        "shards_written": shards.written(),
    }


def _built_router(
    root: Path, old: dict[str, set[str]], listed: list[list[str]], shards: SearchShards
) -> dict[str, Any]:
    terms: dict[str, list[int]] = {}
    for index, (path, _, _) in enumerate(listed):
        found = shards.words_of(path)
        if found is None:
            found = old.get(path)
        if found is None:
            found = _shard_words(root, path)
        for term in found:
            terms.setdefault(term, []).append(index)
    # Sorted, so a site's router does not depend on the runs that made it.
    return {"format": SEARCH_FORMAT, "shards": listed, "terms": dict(sorted(terms.items()))}
