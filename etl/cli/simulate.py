"""`rcetl simulate`: serve a simulated Rocket.Chat server until Ctrl-C or SIGTERM."""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING

import click

from etl.simulator.sizes import SIZES

if TYPE_CHECKING:  # the HTTP server (starlette, uvicorn) is imported when the command runs
    from etl.simulator.server import SimServer


def _rate(text: str) -> float:
    value = text.strip().removesuffix("/s")
    try:
        rate = float(value)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a rate such as 5/s", param_hint="--activity"
        ) from None
    if rate < 0:
        raise click.BadParameter("the activity rate cannot be negative", param_hint="--activity")
    return rate


@click.command("simulate")
@click.option("--seed", default=1, show_default=True, help="Workspace seed (same seed, same data).")
@click.option("--size", type=click.Choice(list(SIZES)), default="small", show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=3000, show_default=True, help="TCP port (0 picks a free one).")
@click.option(
    "--rate-limit",
    default=None,
    metavar="CALLS/SECONDS",
    help="Server rate limit per endpoint and client IP, e.g. 10/60.",
)
@click.option(
    "--faults",
    default=None,
    metavar="SPEC",
    help="Injected faults, e.g. 5xx=0.05,html=0.01,truncate=0.01,drop=0.01,slow=0.02 "
    "(KIND=every:N for every Nth request; @ep1|ep2 limits a fault to endpoints).",
)
@click.option("--slow-seconds", default=1.0, show_default=True, help="Delay of a 'slow' fault.")
@click.option(
    "--activity", default="0", metavar="N/s", help="Background writes per second, e.g. 5/s."
)
@click.option("--enable-mutations", is_flag=True, help="Serve the /_sim/ HTTP mutation API.")
@click.option(
    "--trash-ttl-days", default=30.0, show_default=True, help="Age at which tombstones expire."
)
def simulate_cmd(
    seed: int,
    size: str,
    host: str,
    port: int,
    rate_limit: str | None,
    faults: str | None,
    slow_seconds: float,
    activity: str,
    enable_mutations: bool,
    trash_ttl_days: float,
) -> None:
    """Serve a simulated Rocket.Chat server (REST API over HTTP) for tests, demos and benchmarks.

    Prints the URL and working credentials, then serves until Ctrl-C or SIGTERM.

    \b
    Example:
      rcetl simulate --size medium --port 3000 --rate-limit 10/60 \\
          --faults 5xx=0.05,html=0.01 --activity 5/s --enable-mutations
    """
    from etl.simulator import SimOptions, SimServer, build_workspace
    from etl.simulator.faults import parse_faults
    from etl.simulator.ratelimit import parse_rate_limit

    try:
        limit = parse_rate_limit(rate_limit) if rate_limit else None
        specs = parse_faults(faults) if faults else []
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    started = time.monotonic()
    ws = build_workspace(seed=seed, size=size, trash_ttl_days=trash_ttl_days)
    built = time.monotonic() - started
    gc.freeze()  # a long-lived process: keep the collector off millions of workspace objects
    options = SimOptions(
        rate_limit=limit,
        faults=specs,
        slow_seconds=slow_seconds,
        enable_mutations=enable_mutations,
        activity_per_s=_rate(activity),
    )
    server = SimServer(ws, options, host=host, port=port)
    try:
        server.start()
    except RuntimeError as exc:
        raise click.ClickException(f"{exc} (is the port already in use? try --port 0)") from None
    _announce(server, built)
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        click.echo("simulator stopped")


def _announce(server: SimServer, built: float) -> None:
    ws = server.ws
    admin, user = ws.credentials["admin"], ws.credentials["user"]
    click.echo(
        f"Rocket.Chat simulator ({ws.size}, seed {ws.seed}, built in {built:.1f}s) at {server.url}"
    )
    click.echo(f"  rooms {len(ws.rooms)}, users {len(ws.users)}, messages {len(ws.messages.by_id)}")
    click.echo(f"  admin token:   X-Auth-Token: {admin['token']}")
    click.echo(f"  admin user id: X-User-Id: {admin['user_id']}")
    click.echo(f"  login:         user={admin['username']} password={admin['password']}")
    click.echo(f"  limited user:  user={user['username']} password={user['password']}")
    click.echo(f"  export RCETL_SERVER__URL={server.url}")
    click.echo(f"  export RCETL_TOKEN={admin['token']} RCETL_USER_ID={admin['user_id']}")
    if server.options.enable_mutations:
        click.echo(f"  mutations:     POST {server.url}/_sim/post_message  (see docs)")
    click.echo("Press Ctrl-C to stop.")
