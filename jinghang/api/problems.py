"""The one place where errors become HTTP responses: ``application/problem+json`` (RFC 9457).

:class:`jinghang.errors.JinghangError` keeps its own status, title and structured fields (the
field at fault, the value given, the limit broken); request validation errors name the first
field at fault and list all of them; plain HTTP errors (404, 405) get the same shape.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from jinghang.errors import JinghangError, _jsonable

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


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
    """A problem response; extra ``fields`` (field, value, limit, errors...) go in the body."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    for key, value in fields.items():
        if value is not None:
            body[key] = _jsonable(value)
    return ProblemResponse(body, status_code=status, headers=headers)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "location", "latitude_deg")`` -> ``"location.latitude_deg"``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"} and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


async def _jinghang_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, JinghangError)
    body = exc.to_dict()
    error_type = body.pop("type")
    detail = body.pop("detail")
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return problem(
        exc.status_code,
        exc.title,
        detail,
        instance=request.url.path,
        headers=headers,
        error=error_type,
        **body,
    )


async def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        entry: dict[str, Any] = {
            "field": _field_of(err.get("loc", ())),
            "detail": err.get("msg", ""),
        }
        if "input" in err and not isinstance(err["input"], dict):
            entry["value"] = err["input"]
        ctx = err.get("ctx") or {}
        for key in ("le", "lt", "ge", "gt", "max_length", "min_length", "expected"):
            if key in ctx:
                entry["limit"] = f"{key} {ctx[key]}"
                break
        errors.append(entry)
    first = errors[0] if errors else {"field": None, "detail": "invalid request"}
    detail = f"{first['field']}: {first['detail']}" if first.get("field") else str(first["detail"])
    return problem(
        422,
        "Invalid request",
        detail,
        instance=request.url.path,
        field=first.get("field"),
        value=first.get("value"),
        limit=first.get("limit"),
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {
        401: "Not authenticated",
        403: "Forbidden",
        404: "Not found",
        405: "Method not allowed",
    }
    return problem(
        exc.status_code,
        title.get(exc.status_code, "HTTP error"),
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
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Register the handlers turning every error into a problem response."""
    app.add_exception_handler(JinghangError, _jinghang_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _model_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
