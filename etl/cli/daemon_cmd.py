"""`rcetl daemon`: keep the database current on the schedules in `config.yaml` (see jobs/)."""

from __future__ import annotations

import os
import sys

import click

from etl.cli.context import AppContext, pass_app


@click.command("daemon")
@click.option(
    "--health-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve /healthz and /metrics on this port (overrides daemon.health_port; default off).",
)
@click.option(
    "--health-host",
    default=None,
    help="Address for /healthz and /metrics (overrides daemon.health_host; default 127.0.0.1).",
)
@pass_app
def daemon_cmd(app: AppContext, health_port: int | None, health_host: str | None) -> None:
    """Run the scheduled jobs until SIGTERM or SIGINT (Ctrl-C).

    \b
    Jobs and their schedules come from the `schedules:` section of the config
    (defaults: rooms+messages every 5 min, users and small tables hourly,
    reconcile and the Parquet feed nightly). Only one daemon may run per
    database; a second one refuses to start and names the holder.

    \b
    Example:
      rcetl --log-format json daemon --health-port 9108
      curl -s 127.0.0.1:9108/healthz; curl -s 127.0.0.1:9108/metrics
    """
    # First thing: a SIGTERM while the daemon starts (imports, lock, schema upgrade) must stop it
    # cleanly (exit 0), not kill it (143). (Imported here: `rcetl daemon --help` needs neither.)
    from jobs.signals import StopEvent, install_signal_handlers

    stop_event = StopEvent()
    install_signal_handlers(stop_event)
    if health_port is not None:
        app.overrides["daemon.health_port"] = health_port
    if health_host is not None:
        app.overrides["daemon.health_host"] = health_host
    from jobs.daemon import run_daemon  # here, so other commands do not pay for its imports

    result = run_daemon(app.settings, app.environ, stop_event)
    if not result.drained:
        # A job thread is still inside a request; waiting for it would break the bounded stop.
        # Its last page is committed with its checkpoint, so leaving now loses nothing.
        import logging

        logging.shutdown()
        sys.stderr.flush()
        os._exit(1 if result.lock_lost else 0)  # exit codes as in etl.cli.main
    if result.lock_lost:
        from etl.errors import RcetlError

        raise RcetlError("the daemon lost its lock on the database and stopped; start it again")
