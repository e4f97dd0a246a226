"""The workspace sizes `build_workspace` knows (a module of its own: `rcetl simulate --help`
lists them without importing the generator)."""

from __future__ import annotations

from typing import NamedTuple


class Size(NamedTuple):  # not a dataclass: `rcetl simulate --help` would import dataclasses
    rooms: int
    users: int
    messages: int
    span_days: int


SIZES = {
    "tiny": Size(rooms=16, users=24, messages=1_200, span_days=40),
    "small": Size(rooms=60, users=300, messages=20_000, span_days=120),
    "medium": Size(rooms=200, users=2_000, messages=200_000, span_days=365),
    "large": Size(rooms=1_000, users=10_000, messages=1_000_000, span_days=540),
    # as many rooms as `large`, few messages: request counts of a big workspace, built in seconds
    "wide": Size(rooms=1_000, users=300, messages=10_000, span_days=60),
}
