"""One file download: streamed to a `.part` file and hashed on the way (flat memory whatever
the size), resumed with `Range` from what the `.part` file already holds (after a retry or a
killed run), retried by the client's one policy, redirects followed only as `redirects` allows
and never with the credentials."""

from __future__ import annotations

import hashlib
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin

import httpx

from etl.client import Client
from etl.errors import ApiError, MalformedResponseError, TransportError, error_for_status
from etl.files.redirects import Resolver, refusal, resolve

CHUNK = 1024 * 1024
MAX_HOPS = 5
ENDPOINT = "file-upload"


class RedirectRefused(ApiError):
    """A redirect the rules forbid (see etl.files.redirects); not retried."""


@dataclass(frozen=True)
class Fetched:
    sha256: str
    size: int


def download_path(file_id: str, name: str | None) -> str:
    # the name is ignored by the server but must be there
    return f"/file-upload/{quote(file_id, safe='')}/{quote(name or 'file', safe='')}"


@dataclass
class Download:
    """Fetch `path` from the server into `part`; `http` (no credentials) serves redirects."""

    client: Client
    http: httpx.Client
    path: str
    part: Path
    resolver: Resolver = resolve

    def run(self) -> Fetched:
        return self.client.retrying(self.attempt)

    def attempt(self) -> Fetched:
        try:
            return self._attempt()
        except httpx.TimeoutException as exc:
            raise TransportError(
                ENDPOINT, None, f"download timed out ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise TransportError(ENDPOINT, None, f"download cut: {type(exc).__name__}") from exc

    def _attempt(self) -> Fetched:
        digest = hashlib.sha256()
        offset = _hash_existing(self.part, digest)
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        with ExitStack() as stack:
            response = stack.enter_context(self.client.stream(self.path, headers))
            url = self.client.base_url + self.path
            for _ in range(MAX_HOPS):
                if response.status_code not in (301, 302, 303, 307, 308):
                    break
                url = urljoin(url, response.headers.get("location", ""))
                reason = refusal(self.client.base_url, url, self.resolver)
                if reason:
                    raise RedirectRefused(ENDPOINT, response.status_code, reason)
                response = stack.enter_context(_plain(self.http, url, headers))
            return self._save(response, offset, digest)

    def _save(self, response: httpx.Response, offset: int, digest: hashlib._Hash) -> Fetched:
        status, content_range = response.status_code, response.headers.get("content-range", "")
        if status == 416 and offset:
            if content_range == f"bytes */{offset}":  # killed after the last byte: complete
                return Fetched(digest.hexdigest(), offset)
            return self._restart(status, "the part no longer fits the file")
        if status not in (200, 206):
            raise error_for_status(ENDPOINT, status, _status_text(status))
        if status == 206 and not content_range.startswith(f"bytes {offset}-"):
            return self._restart(status, f"asked for bytes {offset}-, got {content_range!r}")
        if status == 200:
            offset, digest = 0, hashlib.sha256()  # the server sent the whole file
        with self.part.open("r+b" if offset else "wb") as sink:
            sink.seek(offset)
            sink.truncate()
            for chunk in response.iter_bytes(CHUNK):
                sink.write(chunk)
                digest.update(chunk)
            size = sink.tell()
        expected = _total(response, offset)
        if expected is not None and size != expected:
            raise MalformedResponseError(ENDPOINT, status, f"got {size} of {expected} bytes")
        return Fetched(digest.hexdigest(), size)

    def _restart(self, status: int, why: str) -> Fetched:
        """Drop the part file; the retry starts from the first byte."""
        self.part.unlink(missing_ok=True)
        raise MalformedResponseError(ENDPOINT, status, f"{why}; starting over")


def _plain(
    http: httpx.Client, url: str, headers: dict[str, str]
) -> AbstractContextManager[httpx.Response]:
    """The redirect's target, fetched WITHOUT the credentials (a signed URL needs none)."""
    return http.stream("GET", url, headers=headers)


def _hash_existing(part: Path, digest: hashlib._Hash) -> int:
    if not part.exists():
        return 0
    with part.open("rb") as source:
        while block := source.read(CHUNK):
            digest.update(block)
        return source.tell()


def _total(response: httpx.Response, offset: int) -> int | None:
    length = response.headers.get("content-length")
    return offset + int(length) if length and length.isdigit() else None


def _status_text(status: int) -> str:
    if status == 403:
        return "forbidden: the token's user is not in the file's room (or no access)"
    if status == 404:
        return "no such file on the server (deleted or unknown id)"
    return "download refused"
