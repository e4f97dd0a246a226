"""Credentials: read from the environment variables the settings name; never shown in full."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from etl.config import Settings
from etl.errors import ConfigError


@dataclass(frozen=True)
class Credentials:
    """A personal access token with its user id, or a username and password (optional 2FA code)."""

    user_id: str | None = None
    token: str | None = field(default=None, repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    code: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if not (self.token and self.user_id) and not (self.username and self.password):
            raise ConfigError("credentials need a token and user id, or a username and password")

    @property
    def mode(self) -> str:
        return "token" if self.token else "login"

    def __repr__(self) -> str:
        who = self.user_id if self.mode == "token" else self.username
        return f"Credentials(mode={self.mode!r}, user={who!r}, secret='***')"


def credentials_from_env(settings: Settings, environ: Mapping[str, str]) -> Credentials:
    """Read the secrets from the environment variables that `server.auth` names."""
    auth = settings.server.auth

    def required(setting: str, var: str) -> str:
        value = environ.get(var, "").strip()
        if not value:
            raise ConfigError(
                f"environment variable {var} is not set (named by server.auth.{setting}; "
                f"server.auth.mode is {auth.mode!r})"
            )
        return value

    if auth.mode == "token":
        return Credentials(
            user_id=required("user_id_env", auth.user_id_env),
            token=required("token_env", auth.token_env),
        )
    code = environ.get(auth.code_env, "").strip() if auth.code_env else ""
    return Credentials(
        username=required("username_env", auth.username_env),
        password=required("password_env", auth.password_env),
        code=code or None,
    )


def auth_headers(token: str | None, user_id: str | None) -> dict[str, str]:
    return {"X-Auth-Token": token or "", "X-User-Id": user_id or ""}
