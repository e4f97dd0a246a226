"""Error answers with the real server's status codes and bodies (api.ts `failure`, `unauthorized`,
...).
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("error"))
        self.status = status
        self.body = body


def failure(code: str, reason: str, details: dict[str, Any] | None = None) -> ApiError:
    """A `Meteor.Error` as `{success:false, error:"<reason> [<code>]", errorType:"<code>"}`."""
    body: dict[str, Any] = {"success": False, "error": f"{reason} [{code}]", "errorType": code}
    if details is not None:
        body["details"] = details
    return ApiError(400, body)


def plain_failure(message: str) -> ApiError:
    """`API.v1.failure('some text')`: no code, no errorType."""
    return ApiError(400, {"success": False, "error": message})


def invalid_params(message: str) -> ApiError:
    """The ajv validator's answer on typed endpoints (`additionalProperties: false` etc)."""
    return failure("invalid-params", message)


def unauthorized() -> ApiError:
    """401 before 8.0 still carries the legacy `status`/`message` pair."""
    text = "You must be logged in to do this."
    return ApiError(401, {"success": False, "error": text, "status": "error", "message": text})


def forbidden() -> ApiError:
    return ApiError(403, {"success": False, "error": "unauthorized"})


def not_found() -> ApiError:
    return ApiError(404, {"success": False, "error": "Resource not found"})


def not_allowed() -> ApiError:
    return failure("error-not-allowed", "Not allowed")


def too_many_requests(seconds: int) -> ApiError:
    """The limiter's `Meteor.Error` message; this body has no `errorType`."""
    text = (
        f"Error, too many requests. Please slow down. You must wait {seconds} seconds before "
        "trying this endpoint again. [error-too-many-requests]"
    )
    return ApiError(429, {"success": False, "error": text})
