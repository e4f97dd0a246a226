"""Run `rcetl daemon` as a real process: config file, environment, JSON log lines, stop helpers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml

from tests._net_fixtures import free_port

__all__ = ["RCETL", "DaemonProcess", "daemon_factory", "free_port"]

# The `rcetl` script installed beside the interpreter running the tests (CI builds its own venv).
RCETL = Path(sys.executable).parent / "rcetl"


class DaemonProcess:
    """One `rcetl --log-format json --config <file> daemon` process and its log lines."""

    def __init__(self, config: Path, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [str(RCETL), "--log-format", "json", "--config", str(config), "daemon"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )

    def lines(self) -> list[dict[str, Any]]:
        found = []
        for raw in self.log_path.read_bytes().splitlines():
            try:
                found.append(orjson.loads(raw))
            except orjson.JSONDecodeError:
                found.append({"message": raw.decode(errors="replace"), "level": "raw"})
        return found

    def runs(self, job: str | None = None) -> list[dict[str, Any]]:
        """The one-line-per-run records (they carry `job`, `status`, `duration_s`, `counts`)."""
        return [
            line
            for line in self.lines()
            if "status" in line and "duration_s" in line and job in (None, line.get("job"))
        ]

    def wait_for(
        self, predicate: Callable[[DaemonProcess], object], timeout: float = 90.0
    ) -> object:
        # A deadline, not a measurement: generous because parallel workers share the cores and a
        # daemon's start-up (imports, migrations) can take many seconds under load.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate(self)
            if result:
                return result
            if self.proc.poll() is not None:
                code = self.proc.returncode
                raise AssertionError(f"daemon exited early ({code}):\n{self.text()}")
            time.sleep(0.1)
        raise AssertionError(f"timed out after {timeout}s; daemon log:\n{self.text()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


@pytest.fixture
def daemon_factory(tmp_path: Path) -> Iterator[Callable[..., DaemonProcess]]:
    """Start daemons from a settings dict; every one still running at the end is killed."""
    started: list[DaemonProcess] = []

    def start(settings: dict[str, Any], env: dict[str, str] | None = None) -> DaemonProcess:
        name = f"daemon{len(started)}"
        config = tmp_path / f"{name}.yaml"
        config.write_text(yaml.safe_dump(settings))
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("RCETL_")}
        full_env.update(env or {})
        daemon = DaemonProcess(config, full_env, tmp_path / f"{name}.log")
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.proc.kill()
            daemon.proc.wait(10)
