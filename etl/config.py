"""Settings: pydantic models loaded from YAML, then `RCETL_*` environment variables, then the
command line (later wins). Settings only, no behaviour; reading the sources and naming where a bad
value came from is `etl.config_sources`.

Errors name the key and where its value came from (file and line, environment variable or command
line option) and never show a traceback: `load_settings` raises `ConfigError` with that message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from etl.catalogue import RESOURCES
from etl.config_sources import assign, describe_errors, env_overrides, read_yaml, yaml_scalar
from etl.errors import ConfigError

# The resource names are the catalogue's (etl.catalogue.RESOURCES, in the order a sync runs them).
ALL_RESOURCES: tuple[str, ...] = tuple(RESOURCES)


def _known_resource(name: str) -> str:
    if name not in RESOURCES:
        raise ValueError(f"unknown resource {name!r}; known: {', '.join(ALL_RESOURCES)}")
    return name


Resource = Annotated[str, AfterValidator(_known_resource)]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, None: 1.0}


def parse_duration(value: object) -> object:
    """Accept seconds as a number or a string like "90s", "5m", "1.5h", "2d"."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return value
    if isinstance(value, int | float):
        return float(value)
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"not a duration: {value!r} (use seconds or e.g. 30s, 5m, 1h, 2d)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


Duration = Annotated[float, BeforeValidator(parse_duration), Field(gt=0)]
# A duration where 0 (or null) switches the feature off.
OptionalDuration = Annotated[Annotated[float, Field(ge=0)] | None, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class AuthSettings(_Strict):
    """Names of the environment variables that hold the secrets, never the secrets themselves."""

    mode: Literal["token", "login"] = "token"
    token_env: str = "RCETL_TOKEN"
    user_id_env: str = "RCETL_USER_ID"
    username_env: str = "RCETL_USERNAME"
    password_env: str = "RCETL_PASSWORD"
    code_env: str | None = "RCETL_2FA_CODE"


_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s]*@")


def mask_userinfo(text: str) -> str:
    """Every `scheme://user:password@` in `text` becomes `scheme://***@`."""
    return _USERINFO.sub(r"\1***@", text)


def split_userinfo(url: str) -> tuple[str, tuple[str, str] | None]:
    """`https://user:pass@host/x` → (`https://host/x`, ("user", "pass")), escapes decoded."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, _, password = userinfo.partition(":")
    return urlunsplit(parts._replace(netloc=host)), (unquote(user), unquote(password))


class ServerSettings(_Strict):
    """`url` never holds credentials: a `user:password@` in the configured URL is taken out here,
    where the URL enters, and kept only as `basic_auth` (HTTP Basic credentials for a proxy in
    front of the server), so no log line, error, run record or export can show it."""

    url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:3000")
    auth: AuthSettings = AuthSettings()
    ca_bundle: Path | None = None
    timeout: Duration = 30.0
    max_connections: int = Field(default=10, ge=1, le=100)

    _basic_auth: tuple[str, str] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _take_userinfo_out(self) -> ServerSettings:
        clean, userinfo = split_userinfo(str(self.url))
        if userinfo is not None:
            self.url = AnyHttpUrl(clean)
            self._basic_auth = userinfo
        return self

    @property
    def basic_auth(self) -> tuple[str, str] | None:
        return self._basic_auth

    @field_validator("ca_bundle")
    @classmethod
    def _ca_bundle_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.expanduser().is_file():
            raise ValueError(f"CA bundle file not found: {value}")
        return value.expanduser() if value is not None else None


class DatabaseSettings(_Strict):
    url: str = "sqlite:///rcetl.db"
    # How long a command waits for another rcetl process that is writing the database (the
    # daemon's job, a sync by hand) before it refuses; 0 refuses at once. `--wait` overrides it.
    lock_wait: Annotated[float, BeforeValidator(parse_duration), Field(ge=0)] = 60.0

    @field_validator("url")
    @classmethod
    def _known_dialect(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgresql(\+psycopg)?)://", value):
            raise ValueError(
                "database URL must start with sqlite:/// or postgresql+psycopg://, "
                f"got {value.split('://')[0]!r}"
            )
        return value


class RetrySettings(_Strict):
    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_initial: Duration = 0.5
    backoff_max: Duration = 30.0
    max_rate_limit_wait: Duration = 300.0


class FilesSettings(_Strict):
    """`sync.files`: download the uploads' bytes (README "Files")."""

    download: bool = False
    max_size: int | None = Field(default=None, ge=0)  # bytes; larger files are recorded, skipped
    # MIME types (`image/png`), MIME families (`image/*`) or extensions (`.pdf`); empty: all
    types: list[str] = Field(default_factory=list)
    store: str = "files"  # a local folder or s3://bucket/prefix (content-addressed by SHA-256)
    endpoint_url: AnyHttpUrl | None = None  # an S3-compatible server, as `export.endpoint_url`
    partial_dir: Path | None = None  # local .part files; default <store>/.partial or ./.partial


class SyncSettings(_Strict):
    resources: list[Resource] = Field(default_factory=lambda: list(ALL_RESOURCES))
    page_size: int = Field(default=100, ge=1, le=10_000)
    message_page_size: int = Field(default=1000, ge=1, le=100_000)
    concurrency: int = Field(default=4, ge=1, le=64)
    deletion_policy: Literal["keep", "redact", "purge"] = "keep"
    # Keep every seen version of a message in `message_versions` (edits, deletions, history clones).
    track_history: bool = True
    # Rooms whose `_updatedAt` did not move are walked again from their watermark once their last
    # complete walk is this old: edits, reactions and pins of older messages do not move a room.
    room_recheck_after: OptionalDuration = 3600.0
    room_recheck_batch: int | None = Field(default=None, ge=1)  # at most this many per run
    # Integration scripts are code that may embed secrets: kept out (`[redacted]`) unless true.
    integration_scripts: bool = False
    # `statistics?refresh=true`: the server computes a new snapshot (costly on a large server);
    # false reads the newest one it has (it computes one a day).
    statistics_refresh: bool = False
    retries: RetrySettings = RetrySettings()
    files: FilesSettings = FilesSettings()


class IcebergSettings(_Strict):
    # A catalog URI pyiceberg understands (a SQLAlchemy URL for its SQL catalog, http(s):// for a
    # REST catalog); unset means a SQL catalog in the product's own database (database.url).
    catalog: str | None = None
    catalog_name: str = "rcetl"
    namespace: str = "rocketchat"
    # Where data and metadata files go: a folder or s3://bucket/prefix (export.endpoint_url and
    # the AWS environment apply, as for Parquet exports).
    warehouse: str = "warehouse"
    # `rcetl export iceberg --compact` expires snapshots older than this (the current one stays).
    snapshot_retention: Duration = 7 * 86400.0
    # ...and rewrites a partition holding more than one data file smaller than this.
    small_file_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)


class ExportSettings(_Strict):
    out: str = "export"
    compression: Literal["zstd", "snappy", "gzip", "none"] = "zstd"
    row_group_size: int = Field(default=131_072, ge=1_000)
    batch_size: int = Field(default=16_384, ge=1_000)
    # S3-compatible servers (MinIO, Ceph...); unset means AWS, or AWS_ENDPOINT_URL when that is set.
    endpoint_url: AnyHttpUrl | None = None
    # The readable site (`rcetl export html`, the daemon's `html*` jobs): a local folder.
    html_out: str = "export-html"
    iceberg: IcebergSettings = IcebergSettings()


class ScheduleSettings(_Strict):
    interval: Duration | None = None
    cron: str | None = None
    enabled: bool = True
    resources: list[Resource] | None = None

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str | None) -> str | None:
        if value is not None and len(value.split()) != 5:
            raise ValueError(f"cron needs 5 fields (minute hour day month weekday): {value!r}")
        return value

    @model_validator(mode="after")
    def _one_trigger(self) -> ScheduleSettings:
        if (self.interval is None) == (self.cron is None):
            raise ValueError("give exactly one of interval or cron")
        return self


class DaemonSettings(_Strict):
    health_host: str = "127.0.0.1"
    health_port: int | None = Field(default=None, ge=0, le=65535)
    lag_threshold: Duration = 3600.0
    # Seconds SIGTERM/SIGINT waits for the running job to commit its page and return.
    shutdown_timeout: Duration = 30.0
    # Longest wait a transient failure's backoff adds on top of the job's next scheduled run.
    backoff_max: Duration = 3600.0
    # /healthz turns red after this many transient failures in a row (terminal ones: at once).
    unhealthy_after_failures: int = Field(default=3, ge=1)


class Settings(_Strict):
    server: ServerSettings = ServerSettings()
    database: DatabaseSettings = DatabaseSettings()
    sync: SyncSettings = SyncSettings()
    export: ExportSettings = ExportSettings()
    schedules: dict[str, ScheduleSettings] = Field(default_factory=dict)
    daemon: DaemonSettings = DaemonSettings()


SECTIONS = tuple(Settings.model_fields)


def load_settings(
    path: Path | None,
    overrides: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Load `path` (YAML; None = defaults only), apply `RCETL_*` env vars, then `overrides`
    (dotted keys such as "sync.page_size" → value; strings are read as YAML scalars)."""
    environ = os.environ if environ is None else environ
    data, root_node = read_yaml(path) if path is not None else ({}, None)
    sources: dict[tuple[str, ...], str] = {}
    for var, key_path, value in env_overrides(environ, SECTIONS):
        assign(data, key_path, value, origin=f"environment variable {var}")
        sources[key_path] = f"environment variable {var}"
    for dotted, value in (overrides or {}).items():
        key_path = tuple(part for part in dotted.split(".") if part)
        origin = f"command line option {dotted}={value}"
        assign(data, key_path, yaml_scalar(value), origin=origin)
        sources[key_path] = origin
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        # A URL that fails validation is echoed with its origin: never with its credentials.
        raise ConfigError(mask_userinfo(describe_errors(exc, path, root_node, sources))) from None
