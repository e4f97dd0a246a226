"""`SimOptions`: how a `SimServer` behaves beyond its workspace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from etl.simulator.faults import FaultSpec, parse_faults


@dataclass
class SimOptions:
    rate_limit: tuple[int, float] | None = (
        None  # (calls, window seconds) per endpoint and client IP
    )
    bypass_roles: Sequence[str] = ("admin", "bot", "app")  # roles holding `api-bypass-rate-limit`
    faults: str | Sequence[FaultSpec] | None = None  # "5xx=0.05,drop=every:7" or FaultSpec list
    fault_seed: int = 0
    slow_seconds: float = 1.0  # how long a "slow" fault delays the answer
    enable_mutations: bool = False  # the /_sim/ HTTP mutation API
    activity_per_s: float = 0.0  # background writes per second (live server)
    activity_seed: int = 0
    file_redirect: str | None = None  # answer file downloads with a 302 to this base URL
    file_bytes_per_s: float | None = None  # throttle file downloads (kill-and-resume tests)

    def fault_specs(self) -> list[FaultSpec]:
        if not self.faults:
            return []
        if isinstance(self.faults, str):
            return parse_faults(self.faults)
        return list(self.faults)
