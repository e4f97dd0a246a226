"""Reading Rocket.Chat answers: a body becomes a dict, or a typed error naming endpoint and status.

Two envelopes coexist: v1 endpoints answer `{success: true|false, ...}`; login, logout and 401s use
the legacy `{status: "success"|"error", ...}`. Error texts end with `[error-code]`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any

import orjson

from etl.errors import (
    ApiError,
    BadRequestError,
    MalformedResponseError,
    RateLimitedError,
    UndecodableBodyError,
    error_for_status,
)
from etl.intake import LenientBody

log = logging.getLogger(__name__)

_WAIT_SECONDS = re.compile(r"wait (\d+(?:\.\d+)?) seconds")
_ERROR_CODE = re.compile(r"\[([\w.-]+)\]$")


def decode_answer(
    endpoint: str, status: int, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """The JSON object of a 2xx answer, or MalformedResponseError (UndecodableBodyError for a
    JSON body no decoder reads, which carries the bytes).

    orjson is strict; Node's JSON is not: it writes lone surrogates ("\\ud800") that orjson
    refuses. Such a body is read again leniently (`LenientBody`), so its valid items survive and
    only the bad ones are quarantined."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        doc = _loads_leniently(body)
        if doc is None:
            summary = f"{body_summary(headers, body)}: {str(exc)[:120]}"
            if body.lstrip()[:1] in (b"{", b"["):
                raise UndecodableBodyError(endpoint, status, summary, body) from None
            raise MalformedResponseError(endpoint, status, summary) from None
        log.warning("%s: body is not strict JSON (%s); read it leniently", endpoint, exc)
    if not isinstance(doc, dict):
        raise MalformedResponseError(endpoint, status, body_summary(headers, body))
    if doc.get("success") is False or ("success" not in doc and doc.get("status") == "error"):
        message = str(doc.get("error") or doc.get("message") or "no error text")
        raise MalformedResponseError(
            endpoint, status, f"success:false on a {status} answer: {message}", doc.get("errorType")
        )
    return doc


def error_from_answer(
    endpoint: str, status: int, headers: Mapping[str, str], body: bytes, server_now_ms: float
) -> ApiError:
    """The typed error for a 3xx/4xx/5xx answer."""
    if status < 400:
        where = headers.get("location", "?")
        message = f"redirected to {where}; set server.url to the final address"
        return BadRequestError(endpoint, status, message)
    doc = _loads(body)
    doc = doc if isinstance(doc, dict) else {}
    # Legacy 401 bodies carry the readable text in `message` and a bare code in `error`.
    texts = [str(doc[key]) for key in ("error", "message") if doc.get(key)]
    message = max(texts, key=len) if texts else body_summary(headers, body)
    code = _ERROR_CODE.search(message)
    error_type = doc.get("errorType") or (code.group(1) if code else None)
    if status != 429:
        return error_for_status(endpoint, status, message, error_type)
    reset_ms = _reset_ms(headers, message, server_now_ms)
    return RateLimitedError(endpoint, status, message, error_type, reset_ms=reset_ms)


def body_summary(headers: Mapping[str, str], body: bytes) -> str:
    content_type = headers.get("content-type", "no content type")
    if not body:
        return f"empty body ({content_type})"
    if body.lstrip()[:1] == b"<" or "html" in content_type:
        return f"HTML page instead of JSON ({len(body)} bytes, {content_type})"
    return f"truncated or invalid JSON ({len(body)} bytes, {content_type})"


def _loads_leniently(body: bytes) -> LenientBody | None:
    """The standard library reads lone surrogate escapes; undecodable bytes become surrogates
    (surrogateescape) so that the item holding them can be told from the others."""
    try:
        doc = json.loads(body.decode("utf-8", errors="surrogateescape"))
    except (ValueError, RecursionError):
        return None
    return LenientBody(doc) if isinstance(doc, dict) else None


def _loads(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def _reset_ms(headers: Mapping[str, str], message: str, server_now_ms: float) -> int:
    """When a 429 ends: the later of X-RateLimit-Reset (absolute, on the server's clock; there is
    no Retry-After) and "You must wait N seconds" from the body (relative, so immune to clock skew
    between us and the server)."""
    candidates = []
    header = headers.get("x-ratelimit-reset")
    if header and header.isdigit():
        candidates.append(int(header))
    match = _WAIT_SECONDS.search(message)
    if match:
        candidates.append(int(server_now_ms + float(match.group(1)) * 1000))
    return max(candidates) if candidates else int(server_now_ms + 1000)
