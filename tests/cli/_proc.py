"""Run `rcetl` as a real process (real stderr, real exit code, real signals), optionally with a
few lines of Python run first in that process (e.g. a SQLAlchemy event that makes SQLite's file
size limit tiny: a real SQLITE_FULL without filling the test machine's disk)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


def rcetl_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RCETL_")}
    env.update(extra)
    return env


def command(*args: str, prelude: str = "") -> list[str]:
    return [sys.executable, "-c", f"{prelude}\nfrom etl.cli.main import cli; cli()", *args]


def run_rcetl(
    *args: str, env: dict[str, str] | None = None, prelude: str = "", timeout: float = 120
) -> Ran:
    done = subprocess.run(
        command(*args, prelude=prelude),
        env=env if env is not None else rcetl_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def start_rcetl(*args: str, env: dict[str, str] | None = None, **kwargs: Any) -> subprocess.Popen:
    return subprocess.Popen(
        command(*args), env=env if env is not None else rcetl_env(), text=True, **kwargs
    )


def token_env(creds: dict[str, str]) -> dict[str, str]:
    return rcetl_env(RCETL_TOKEN=creds["token"], RCETL_USER_ID=creds["user_id"])
