"""The API's OpenAPI document with every error it can answer: ``application/problem+json``.

:func:`document_problems` wraps ``app.openapi`` so that each operation lists, beside its
success responses, the problem responses that can occur on it (all with the ``Problem``
schema of RFC 9457 and our extra fields):

- every ``/api`` operation: 400 (a body that is not UTF-8, a refused input), 404, 409 (the
  state forbids it), 413 (a body over the limit), 422 (a field out of its limits), 500, 503
  (a part not running, the worker pool full) and 504 (a CPU job past its time limit);
- an operation needing a sign-in: 401 and 403;
- signing in: 429 (throttled);
- flying a drone by hand and the fleet: 502 (the vehicle refused or did not answer).

Every problem carries ``code`` and ``params`` (see :mod:`jinghang.api.problems`).
FastAPI's own ``HTTPValidationError`` 422 body is replaced by the problem body we really send.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from jinghang.api.problems import PROBLEM_MEDIA_TYPE, TITLES

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An error (RFC 9457), naming the field at fault and the limit it broke.",
    "required": ["type", "title", "status", "detail", "code", "params"],
    "properties": {
        "type": {"type": "string", "example": "about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "error": {"type": "string", "description": "the error's class, e.g. NotFound"},
        "code": {
            "type": "string",
            "description": (
                "a stable code naming the kind of error, for clients that show it in their own "
                "language (the English `detail` may change): e.g. mission.out_of_battery, "
                "auth.wrong_credentials, validation.less_than_equal, http.404; "
                "the list is in docs/INTERFACES.md"
            ),
            "example": "mission.out_of_battery",
        },
        "params": {
            "type": "object",
            "additionalProperties": True,
            "description": (
                "the values the message names (field, value, limit and the code's own, "
                "e.g. energy_pct), to fill a translated message"
            ),
            "example": {"field": "energy_pct", "value": 288.0, "limit": 70.0},
        },
        "field": {"type": "string", "description": "the input at fault, e.g. body.area"},
        "value": {"description": "a short excerpt of the value refused"},
        "limit": {"description": "the limit it broke"},
        "errors": {
            "type": "array",
            "items": {"type": "object", "additionalProperties": True},
            "description": "every field at fault (validation errors), each with its own "
                           "field, detail, code and params",
        },
    },
    "additionalProperties": True,
}

_BASE = (400, 404, 409, 413, 422, 500, 503, 504)
_SIGNED_IN = (401, 403)
_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}
_VEHICLE_TAGS = {"pilot", "fleet"}


def statuses_for(path: str, operation: dict[str, Any]) -> list[int]:
    """The problem statuses ``operation`` on ``path`` can answer."""
    if not path.startswith("/api/"):
        return [404, 500]
    codes = set(_BASE)
    if operation.get("security"):
        codes.update(_SIGNED_IN)
    if path.startswith("/api/auth/"):
        codes.update({401, 429})
    if _VEHICLE_TAGS & set(operation.get("tags", ())):
        codes.add(502)
    return sorted(codes)


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": TITLES.get(status, "Server error" if status >= 500 else "Error"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def add_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with the Problem component and every operation's problem responses."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in statuses_for(path, operation):
                existing = responses.get(str(status))
                if existing is None or "HTTPValidationError" in str(existing):
                    responses[str(status)] = _problem_response(status)
    return schema


def document_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the document with every problem response."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_problems(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
