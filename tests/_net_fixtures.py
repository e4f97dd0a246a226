"""Loopback ports that stay safe when pytest-xdist runs several test processes at once.

- A server the test process starts itself binds port 0 and reports the port the kernel gave it
  (SimServer, the hostile server, moto's ThreadedMotoServer, the HTML site server): no window in
  which another test process could take the port.
- `refused_url`: a loopback URL where nothing listens, reserved for the whole test session: its
  port stays bound (never listened on), so connections to it are refused and no other process can
  start listening there while the tests expect "cannot reach".
- `free_port()`: only for a port that a child process must bind itself (the daemon's
  `health_port`): the kernel picks it from the ephemeral range, as it would for port 0.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

__all__ = ["free_port", "refused_url"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def refused_url() -> Iterator[str]:
    """`http://127.0.0.1:<port>`: bound by this test process, never listening (refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
