"""Secrets out of server documents before anything stores, compares, logs or exports them.

Integrations carry their webhook `token` (48 characters for incoming, 24 for outgoing), and the
history of an outgoing integration carries the same token again in the `data` it sent, in the copy
of the integration it embeds and in URLs. A token this short hashed without a key can be brute
forced, so nothing derived from it is kept: a secret field keeps its key (so its presence stays
visible) with the value `[redacted]`, and every other occurrence of a secret value inside any string
of the same document (a URL path, an echoed body) is replaced too. Scripts are code that may embed
secrets of their own: they are redacted unless the configuration asks for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import suppress
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from etl.intake import Rejected

REDACTED = "[redacted]"
# Keys whose value is a secret wherever they appear (compared lower-cased).
SECRET_KEYS = frozenset(
    {"token", "secret", "password", "authtoken", "auth_token", "access_token", "apikey", "api_key"}
)
# Query parameters whose value is a secret in any URL a document carries.
SECRET_PARAMS = SECRET_KEYS | {"key", "sig", "signature", "x-auth-token", "rc_token"}
SCRIPT_KEYS = frozenset({"script", "scriptCompiled"})
# A quarantined item that could not be re-encoded is kept as JSON text: `"token": "..."` in it.
_KEYS = "|".join(sorted(SECRET_KEYS))
_SECRET_IN_JSON = re.compile(rf'("(?:{_KEYS})"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
# Shorter values are not tokens (and replacing them inside text would garble it).
MIN_SECRET_LEN = 8


def secret_values(node: Any) -> set[str]:
    """Every string held under a secret key anywhere in `node`."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if str(key).lower() in SECRET_KEYS and isinstance(value, str):
                if len(value) >= MIN_SECRET_LEN and value != REDACTED:
                    found.add(value)
            else:
                found |= secret_values(value)
    elif isinstance(node, list):
        for value in node:
            found |= secret_values(value)
    return found


def _scrub_url(text: str) -> str:
    parts = urlsplit(text)
    netloc = parts.netloc.rsplit("@", 1)[1] if "@" in parts.netloc else parts.netloc
    query = parse_qsl(parts.query, keep_blank_values=True)
    if netloc == parts.netloc and not any(k.lower() in SECRET_PARAMS for k, _ in query):
        return text
    safe = [(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in query]
    return urlunsplit(parts._replace(netloc=netloc, query=urlencode(safe)))


def _scrub_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if text.startswith(("http://", "https://")):
        with suppress(ValueError):  # not a URL after all
            text = _scrub_url(text)
    return text


def _walk(node: Any, secrets: frozenset[str], drop: frozenset[str]) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            hidden = str(key).lower() in SECRET_KEYS or key in drop
            out[key] = REDACTED if hidden and value is not None else _walk(value, secrets, drop)
        return out
    if isinstance(node, list):
        return [_walk(value, secrets, drop) for value in node]
    if isinstance(node, str):
        return _scrub_text(node, secrets)
    return node


def scrub(doc: Any, *, keep_scripts: bool = False) -> Any:
    """A copy of `doc` without secrets (and without scripts unless `keep_scripts`)."""
    secrets = frozenset(sorted(secret_values(doc), key=len, reverse=True))
    return _walk(doc, secrets, frozenset() if keep_scripts else SCRIPT_KEYS)


def scrub_rejected(rejected: Iterable[Rejected], *, keep_scripts: bool = False) -> list[Rejected]:
    """Quarantined items keep their raw text: scrub it too (a string raw is scrubbed as text)."""
    out = []
    for item in rejected:
        raw = scrub(item.raw, keep_scripts=keep_scripts)
        if isinstance(raw, str):
            raw = _SECRET_IN_JSON.sub(lambda m: f'{m.group(1)}"{REDACTED}"', raw)
        out.append(Rejected(raw, item.reason, item.record_id))
    return out
