"""`rcetl simulate`: help, bad options, and a real run that serves until SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys

import httpx
from click.testing import CliRunner

from etl.cli.main import cli


def test_help_shows_an_example_and_bad_options_are_named() -> None:
    runner = CliRunner()
    shown = runner.invoke(cli, ["simulate", "--help"])
    assert shown.exit_code == 0 and "Example:" in shown.output and "--rate-limit" in shown.output
    bad_limit = runner.invoke(cli, ["simulate", "--rate-limit", "ten"])
    bad_fault = runner.invoke(cli, ["simulate", "--faults", "boom=1"])
    assert bad_limit.exit_code == 2 and "rate limit" in bad_limit.output
    assert bad_fault.exit_code == 2 and "unknown fault" in bad_fault.output


def test_serves_with_printed_credentials_until_sigterm() -> None:
    command = [
        sys.executable,
        "-c",
        "from etl.cli.main import cli; cli()",
        "simulate",
        "--size",
        "tiny",
        "--port",
        "0",
        "--rate-limit",
        "100/60",
    ]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline() for _ in range(5)]
        url = re.search(r"at (http://\S+)", lines[0]).group(1)
        token = re.search(r"X-Auth-Token: (\S+)", lines[2]).group(1)
        uid = re.search(r"X-User-Id: (\S+)", lines[3]).group(1)
        me = httpx.get(f"{url}/api/v1/me", headers={"X-Auth-Token": token, "X-User-Id": uid})
        login_line = lines[4]
        user, password = re.search(r"user=(\S+) password=(\S+)", login_line).groups()
        login = httpx.post(f"{url}/api/v1/login", json={"user": user, "password": password})
        assert me.status_code == 200 and me.json()["username"] == "admin"
        assert login.status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0 and "simulator stopped" in out
