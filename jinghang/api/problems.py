"""The one place where errors become HTTP responses: ``application/problem+json`` (RFC 9457).

:class:`jinghang.errors.JinghangError` keeps its own status, title and structured fields (the
field at fault, the value given, the limit broken); request validation errors name the first
field at fault and list all of them; plain HTTP errors (404, 405) get the same shape.

Every body carries a stable ``code`` and its ``params`` beside the English ``detail``, so that
a client (the console) renders the message in its own language: a :class:`JinghangError`'s
own code, ``validation.<pydantic error type>`` for a refused field (``validation.less_than_equal``
with ``{"field": ..., "limit": ...}``), ``http.<status>`` for plain HTTP errors.

Nothing from the request is echoed whole: a refused value is cut to a short excerpt
(:func:`excerpt`: ``echo_chars`` characters, non-finite numbers and lone surrogates made
printable, containers summarised), and every string in a problem body is made valid UTF-8 and
bounded, so that rendering an error can never fail or amplify what was sent.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from jinghang.errors import JinghangError
from jinghang.limits import DEFAULT_LIMITS

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

#: Longest string kept anywhere in a problem body (details, nested messages).
MAX_PROBLEM_STRING = 1000
#: Items kept of a list in a problem body (``errors``), the rest counted.
MAX_PROBLEM_ITEMS = 20

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    503: "Server busy",
    504: "Took too long",
}


def _printable(text: str, limit: int) -> str:
    """``text`` as valid UTF-8 (lone surrogates replaced), cut to ``limit`` characters."""
    if len(text) > limit:
        text = f"{text[:limit]}… ({len(text)} characters)"
    return text.encode("utf-8", "replace").decode("utf-8")


def excerpt(value: Any, limit: int = DEFAULT_LIMITS.echo_chars, _depth: int = 0) -> Any:
    """A short, JSON-safe stand-in for a refused value: never the whole of a big input."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if value.bit_length() <= 64 else f"an integer of {value.bit_length()} bits"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _printable(value, limit)
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    if isinstance(value, (list, tuple)):
        if len(value) <= 4 and _depth < 2:
            return [excerpt(v, limit, _depth + 1) for v in value]
        return f"a list of {len(value)} items"
    if isinstance(value, dict):
        return f"an object of {len(value)} members"
    return _printable(str(value), limit)


def _safe(value: Any, depth: int = 0) -> Any:
    """``value`` made renderable as strict JSON with every string and list bounded."""
    if value is None or isinstance(value, (bool, int)):
        return excerpt(value)
    if isinstance(value, float):
        return excerpt(value)
    if isinstance(value, str):
        return _printable(value, MAX_PROBLEM_STRING)
    if depth > 4:
        return excerpt(value)
    if isinstance(value, (list, tuple)):
        kept = [_safe(v, depth + 1) for v in value[:MAX_PROBLEM_ITEMS]]
        if len(value) > MAX_PROBLEM_ITEMS:
            kept.append(f"... and {len(value) - MAX_PROBLEM_ITEMS} more")
        return kept
    if isinstance(value, dict):
        items = list(value.items())[:MAX_PROBLEM_ITEMS]
        return {_printable(str(k), 100): _safe(v, depth + 1) for k, v in items}
    return excerpt(value)


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str = "",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> ProblemResponse:
    """A problem response; extra ``fields`` (field, value, limit, errors...) go in the body.

    ``value`` is cut to an excerpt; ``retry_after_s`` also becomes a ``Retry-After`` header.
    ``code`` defaults to ``http.<status>`` and ``params`` to the field, value and limit given.
    """
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "code": fields.pop("code", None) or f"http.{status}",
        "params": _params_of(fields, fields.pop("params", None)),
    }
    if instance:
        body["instance"] = instance
    for key, value in fields.items():
        if value is not None:
            body[key] = excerpt(value) if key == "value" else value
    retry_after = fields.get("retry_after_s")
    if retry_after is not None:
        headers = {**(headers or {}), "Retry-After": str(max(1, math.ceil(float(retry_after))))}
    return ProblemResponse(_safe(body), status_code=status, headers=headers)


#: Body members that are not parameters of the message.
_NOT_PARAMS = frozenset({"errors", "error"})


def _params_of(fields: dict[str, Any], given: dict[str, Any] | None) -> dict[str, Any]:
    """The message's parameters: those ``given``, else the field, value, limit and details."""
    if given is not None:
        params = dict(given)
    else:
        params = {k: v for k, v in fields.items() if v is not None and k not in _NOT_PARAMS}
    if "value" in params:
        params["value"] = excerpt(params["value"])
    return params


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "location", "latitude_deg")`` -> ``"location.latitude_deg"``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


async def _jinghang_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, JinghangError)
    body: dict[str, Any] = {
        "type": type(exc).__name__,
        "detail": exc.message,
        "field": exc.field,
        "value": exc.value,
        "limit": exc.limit,
        **exc.details,
    }
    error_type = body.pop("type")
    detail = body.pop("detail")
    body.pop("params", None)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return problem(
        exc.status_code,
        exc.title,
        detail,
        instance=request.url.path,
        headers=headers,
        error=error_type,
        code=exc.code,
        params=exc.params,
        **body,
    )


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors: list[dict[str, Any]] = []
    first_value: Any = None
    for err in exc.errors():
        entry: dict[str, Any] = {
            "field": _field_of(err.get("loc", ())),
            "detail": err.get("msg", ""),
            "code": f"validation.{err.get('type', 'invalid')}",
        }
        if err.get("type") == "json_invalid":
            position = (err.get("loc") or ("body", "?"))[-1]
            entry = {"field": "body", "detail": f"not valid JSON (at character {position})",
                     "limit": "JSON", "code": "validation.json_invalid",
                     "params": {"field": "body", "position": position}}
        elif "input" in err and not isinstance(err["input"], dict):
            entry["value"] = excerpt(err["input"])
            if not errors:
                first_value = err["input"]
        ctx = err.get("ctx") or {}
        for key in ("le", "lt", "ge", "gt", "max_length", "min_length", "expected"):
            if key in ctx:
                entry["limit"] = f"{key} {ctx[key]}"
                break
        if "params" not in entry:
            entry["params"] = _validation_params(entry["field"], ctx)
        errors.append(entry)
    first = errors[0] if errors else {"field": None, "detail": "invalid request",
                                      "code": "validation.invalid", "params": {}}
    detail = f"{first['field']}: {first['detail']}" if first.get("field") else str(first["detail"])
    return problem(
        422,
        "Invalid request",
        detail,
        instance=request.url.path,
        field=first.get("field"),
        value=first_value,
        limit=first.get("limit"),
        errors=errors,
        code=first["code"],
        params=first["params"],
    )


def _validation_params(field: str, ctx: dict[str, Any]) -> dict[str, Any]:
    """``{"field": ..., "limit": ...}`` of a pydantic error: the bound as a bare value."""
    params: dict[str, Any] = {"field": field}
    for key in ("le", "lt", "ge", "gt", "max_length", "min_length", "expected", "pattern"):
        if key in ctx:
            bound = ctx[key]
            params["limit"] = bound if isinstance(bound, (int, float, str)) else str(bound)
            break
    return params


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(
        exc.status_code,
        TITLES.get(exc.status_code, "HTTP error"),
        str(exc.detail),
        instance=request.url.path,
        headers=dict(exc.headers) if exc.headers else None,
    )


async def _model_error(request: Request, exc: Exception) -> ProblemResponse:
    """A pydantic model built inside a route (a store ``...Create``) refused its input."""
    assert isinstance(exc, ValidationError)
    return await _validation_error(request, RequestValidationError(exc.errors()))


async def _unexpected(request: Request, exc: Exception) -> ProblemResponse:
    """A bug: logged with its traceback, answered as a 500 problem without internals."""
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        500,
        "Internal error",
        "the server failed on this request; it is in the server log",
        instance=request.url.path,
        code="server.internal",
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers turning every error into a problem response."""
    app.add_exception_handler(JinghangError, _jinghang_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _model_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
