"""`rcetl check`: connect, authenticate, and find out what this token may read."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

import click

from etl.cli.context import AppContext, echo_json, open_client, pass_app
from etl.errors import (
    ApiError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
)

if TYPE_CHECKING:  # the rest is imported when the command runs (an instant `--help`)
    from rich.table import Table

    from etl.client import RocketChatClient
    from etl.ratelimit import WindowSnapshot

EXIT_UNREADABLE = 3
ME_KEY = "GET me"

NOT_FOUND = "endpoint not found"


@dataclass(frozen=True)
class Probe:
    resource: str
    endpoint: str
    configured: bool  # listed in sync.resources
    readable: bool
    detail: str
    available: bool = True  # False: a deprecated route this server no longer has (sync skips it)


def probe_resources(client: RocketChatClient, configured: list[str]) -> list[Probe]:
    """One cheap read per resource (`etl.catalogue.PROBES`); identical reads are made once."""
    import orjson

    from etl.catalogue import PROBES, RESOURCES

    answers: dict[bytes, tuple[bool, str]] = {}
    probes = []
    for resource, (endpoint, params) in PROBES.items():
        key = orjson.dumps([endpoint, params], option=orjson.OPT_SORT_KEYS)
        if key not in answers:
            answers[key] = _try_read(client, endpoint, params)
        readable, detail = answers[key]
        available = not (RESOURCES[resource].optional and detail.startswith(NOT_FOUND))
        if not available:
            detail = "not available on this server (deprecated route): the sync skips it"
        probes.append(
            Probe(resource, endpoint, resource in configured, readable, detail, available)
        )
    return probes


def _try_read(client: RocketChatClient, endpoint: str, params: dict[str, Any]) -> tuple[bool, str]:
    try:
        client.get(endpoint, params)
    except (PermissionDeniedError, AuthenticationError) as exc:
        return False, f"permission denied (HTTP {exc.status}): {exc.message}"
    except NotFoundError:
        return False, f"{NOT_FOUND}: this server version does not have it"
    except BadRequestError as exc:
        # Rocket.Chat reports some missing permissions as 400 error-not-allowed.
        return False, f"refused (HTTP {exc.status}): {exc.message}"
    except ApiError as exc:
        return False, f"failed: {exc}"
    return True, "ok"


ROOM_STREAMS = ("messages", "threads", "members")


def mark_partial(probes: list[Probe], view_limits: dict[str, str]) -> list[Probe]:
    """A readable resource whose listing misses what a lacking permission hides is partial."""
    from etl.view_limits import RESOURCE_OF

    partial: dict[str, list[str]] = {}
    for permission in view_limits:
        resource = RESOURCE_OF[permission]
        for name in (resource, *(ROOM_STREAMS if resource == "rooms" else ())):
            partial.setdefault(name, []).append(permission)
    return [
        replace(p, detail=f"{p.detail}; partial: without {', '.join(partial[p.resource])}")
        if p.resource in partial
        else p
        for p in probes
    ]


def rate_limit_summary(windows: dict[str, WindowSnapshot]) -> str:
    # `me` needs a login, so its headers say whether THIS user is limited; endpoints that need no
    # login (settings.public, /api/info) can be limited per IP even for admins.
    mine = windows.get(ME_KEY)
    if mine is None:
        return "no (this user bypasses the limiter, or it is off)"
    return f"yes: {mine.limit} calls per window per endpoint ({len(windows)} endpoints seen)"


def _table(info: Mapping[str, object], probes: list[Probe]) -> Table:
    from rich.table import Table

    table = Table(title=f"{info['server']}  ·  Rocket.Chat {info['version']}  ·  {info['user']}")
    table.add_column("resource")
    table.add_column("endpoint")
    table.add_column("sync")
    table.add_column("readable")
    table.add_column("detail", overflow="fold")
    for probe in probes:
        mark = "[green]yes[/]" if probe.readable else "[red]NO[/]"
        table.add_row(
            probe.resource,
            probe.endpoint,
            "yes" if probe.configured else "-",
            mark,
            probe.detail,
        )
    return table


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON document.")
@pass_app
def check_cmd(app: AppContext, as_json: bool) -> None:
    """Connect, authenticate and list which resources this token can read.

    Reports the server version, the user, one line per resource (can it be
    read, is it in sync.resources) and whether the server rate-limits this user.
    Exit code 0 when every resource in sync.resources is readable, 3 when one is
    not (remove it from sync.resources or grant the permission), 3 on bad
    credentials, 4 when the server cannot be reached.

    \b
    Example:
      export RCETL_TOKEN=... RCETL_USER_ID=...
      rcetl check
      rcetl --server-url https://chat.example.com check --json
    """
    from rich.console import Console

    from etl.view_limits import describe, probe_view_limits

    settings = app.settings
    with open_client(app) as client:
        version = client.server_version()
        me = client.get("me")
        probes = probe_resources(client, list(settings.sync.resources))
        view_limits = probe_view_limits(client)
        windows = client.rate_limits()
        info = {
            "server": client.base_url,
            "version": version,
            "user": f"{me.get('username', '?')} (roles: {', '.join(me.get('roles', []))})",
            "rate_limited": ME_KEY in windows,
            "rate_limits": {key: asdict(window) for key, window in windows.items()},
            "view_limits": view_limits,
        }
    probes = mark_partial(probes, view_limits)
    unreadable = [p.resource for p in probes if p.configured and not p.readable and p.available]
    if as_json:
        echo_json({**info, "resources": [asdict(p) for p in probes]}, indent=False)
    else:
        console = Console()
        console.print(_table(info, probes))
        console.print(f"rate limited: {rate_limit_summary(windows)}")
        for permission, hides in view_limits.items():
            console.print(f"[yellow]{describe(permission, hides)}[/]")
        if unreadable:
            console.print(
                f"[red]cannot read {', '.join(unreadable)}[/]: grant the permission or remove "
                "them from sync.resources"
            )
        else:
            console.print("[green]every configured resource is readable[/]")
    if unreadable:
        click.get_current_context().exit(EXIT_UNREADABLE)
