"""Where a file download may follow a redirect.

A server keeping files in S3 (or another store) answers 302 to a signed URL on another host.
The credentials never go there (the caller sends that request without them); the target must be
https (http only when the server itself is http), and never a loopback, link-local or private
address unless the server itself is on one: a redirect must not turn the sync into a probe of
the network it runs in.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

Resolver = Callable[[str], list[str]]


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror:
        return []
    return sorted({str(info[4][0]) for info in infos})


def kind(address: str) -> str | None:
    """`loopback`, `link-local`, `private` or `reserved` (unspecified, multicast, ...); None for
    a public address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_unspecified or ip.is_reserved or ip.is_multicast:
        return "reserved"
    return "private" if ip.is_private else None


def refusal(server_url: str, target: str, resolver: Resolver = resolve) -> str | None:
    """Why `target` may not be fetched after a redirect from `server_url`, or None if it may.

    An internal target is allowed only when the server itself is on the same kind of address (a
    server on loopback may send to loopback, one on a private network to that network; nothing
    reaches a link-local address such as a cloud metadata endpoint unless the server is on one)."""
    server, parts = urlsplit(server_url), urlsplit(target)
    allowed = ("https", "http") if server.scheme == "http" else ("https",)
    if parts.scheme not in allowed:
        return f"redirect to a {parts.scheme or 'relative'} URL refused (only {'/'.join(allowed)})"
    if not parts.hostname:
        return "redirect without a host refused"
    addresses = resolver(parts.hostname)
    if not addresses:
        return f"redirect to {parts.hostname} refused: the name does not resolve"
    own = {kind(a) for a in resolver(server.hostname or "")}
    for address in addresses:
        found = kind(address)
        if found is not None and found not in own:
            return (
                f"redirect to {parts.hostname} refused: it resolves to the {found} address "
                f"{address} and the server is not on one"
            )
    return None
