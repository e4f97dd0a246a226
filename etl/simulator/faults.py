"""Seeded network and proxy faults: 5xx, dropped connections, slow answers, HTML pages, truncated
JSON, and a proxy's 403/404 pages (a path it refuses or does not route: not transient).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from dataclasses import dataclass

KINDS = ("5xx", "drop", "slow", "html", "truncate", "403", "404")


@dataclass(frozen=True)
class FaultSpec:
    """A fault that hits with `probability`, or on every `every`-th matching request."""

    kind: str
    probability: float = 0.0
    every: int = 0
    endpoints: frozenset[str] | None = None  # None: every /api endpoint

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; choose from {', '.join(KINDS)}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(
                f"fault {self.kind}: probability {self.probability} is not between 0 and 1"
            )
        if self.every < 0:
            raise ValueError(f"fault {self.kind}: every must be positive")

    def matches(self, endpoint: str) -> bool:
        return self.endpoints is None or endpoint in self.endpoints


def parse_faults(text: str) -> list[FaultSpec]:
    """`5xx=0.05,drop=every:7,html=0.01@chat.syncMessages|rooms.get` (probability or every Nth)."""
    specs = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        if "=" not in part:
            raise ValueError(f"fault {part!r} is not KIND=PROBABILITY or KIND=every:N")
        kind, rule = part.split("=", 1)
        endpoints = None
        if "@" in rule:
            rule, names = rule.split("@", 1)
            endpoints = frozenset(n for n in names.split("|") if n)
        try:
            if rule.startswith("every:"):
                specs.append(FaultSpec(kind.strip(), every=int(rule[6:]), endpoints=endpoints))
            else:
                specs.append(FaultSpec(kind.strip(), probability=float(rule), endpoints=endpoints))
        except ValueError as exc:
            raise ValueError(f"fault {part!r}: {exc}") from None
    return specs


class FaultPlan:
    def __init__(self, specs: Iterable[FaultSpec], seed: int = 0) -> None:
        self.specs = list(specs)
        self._rng = random.Random(seed)
        self._seen = [0] * len(self.specs)
        self._lock = threading.Lock()

    def pick(self, endpoint: str) -> str | None:
        """The fault to inject into this request, if any (the first matching spec wins)."""
        with self._lock:
            chosen = None
            for i, spec in enumerate(self.specs):
                if not spec.matches(endpoint):
                    continue
                self._seen[i] += 1
                hit = (spec.every and self._seen[i] % spec.every == 0) or (
                    spec.probability and self._rng.random() < spec.probability
                )
                if hit and chosen is None:
                    chosen = spec.kind
            return chosen
