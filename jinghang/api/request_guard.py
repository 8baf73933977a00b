"""What a request body may be, checked before any route reads it.

A pure ASGI middleware. Every request body under ``/api`` is bounded: a declared
``Content-Length`` over the route's limit is refused at once, and a body streamed without one
is counted and refused as soon as it passes the limit (413, nothing more is read). The limit is
``Limits.json_body_bytes``, or ``Limits.upload_body_bytes`` for the paths in
:data:`UPLOAD_PATHS` (file uploads).

A JSON body is then parsed once, strictly: valid UTF-8, no ``NaN``/``Infinity``, no number
that overflows to infinity (``1e400``), no integer beyond 64 bits, no lone surrogate
(``"\\ud800"``) in any string or key, no control character (NUL and the other C0 controls but
tab, line feed and carriage return; DEL) and no bidirectional embedding or override (U+202A to
U+202E, which make a title or name read differently from what it holds), and no nesting deeper
than ``Limits.nesting_depth``.
A refusal is a 422 problem naming the field (``body.area.0.1``) and the limit. The route then
reads the same bytes as usual.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jinghang.api.problems import problem
from jinghang.limits import MAX_DB_INT, Limits

#: Paths that take file uploads (the larger limit). None of the API's routes does yet.
UPLOAD_PATHS: tuple[re.Pattern[str], ...] = ()

_BAD_NUMBER = object()


class _Refused(Exception):
    def __init__(self, status: int, detail: str, **fields: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.fields = fields


def _is_json(scope: Scope) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return False


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _strict_float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _BAD_NUMBER


def _reject_constant(_name: str) -> Any:
    return _BAD_NUMBER


def _bounded_int(text: str) -> Any:
    # More than 19 digits cannot be a 64-bit integer; refuse before converting 5,000 digits.
    if len(text.lstrip("-")) > 19:
        return _BAD_NUMBER
    value = int(text)
    return value if -MAX_DB_INT - 1 <= value <= MAX_DB_INT else _BAD_NUMBER


def _walk(doc: Any) -> Iterator[tuple[list[str], Any, int]]:
    """Every value of ``doc`` with its path and depth, without recursion."""
    stack: list[tuple[list[str], Any, int]] = [([], doc, 0)]
    while stack:
        path, value, depth = stack.pop()
        yield path, value, depth
        if isinstance(value, dict):
            for key, child in value.items():
                stack.append(([*path, key], child, depth + 1))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                stack.append(([*path, str(index)], child, depth + 1))


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


#: Characters no text field holds: C0 controls but tab, LF and CR; DEL; bidi embeddings and
#: overrides (U+202A..U+202E).
_FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e]")


def _forbidden_char(text: str) -> str | None:
    """The first forbidden character in ``text`` as ``U+XXXX``, or None."""
    found = _FORBIDDEN_CHARS.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def _field(path: list[str]) -> str:
    return ".".join(["body", *(p.encode("utf-8", "replace").decode() for p in path)])


def check_json_body(raw: bytes, limits: Limits) -> None:
    """Raise :class:`_Refused` unless ``raw`` is strict JSON within the nesting limit."""
    if not raw.strip():
        return
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Refused(
            400, f"the body is not valid UTF-8 (byte {exc.start})", field="body",
            limit="UTF-8", code="body_not_utf8",
        ) from None
    try:
        doc = json.loads(
            text,
            parse_float=_strict_float,
            parse_int=_bounded_int,
            parse_constant=_reject_constant,
        )
    except RecursionError:
        raise _Refused(
            422, f"the body nests deeper than {limits.nesting_depth} levels", field="body",
            limit=f"nesting depth {limits.nesting_depth}", code="body_too_deep",
        ) from None
    except ValueError:
        return  # not JSON: the route's own parser answers with its usual 422
    for path, value, depth in _walk(doc):
        if depth > limits.nesting_depth:
            raise _Refused(
                422, f"the body nests deeper than {limits.nesting_depth} levels",
                field=_field(path[: limits.nesting_depth]),
                limit=f"nesting depth {limits.nesting_depth}", code="body_too_deep",
            )
        if value is _BAD_NUMBER:
            raise _Refused(
                422,
                f"{_field(path)}: numbers must be finite (no NaN, Infinity or overflow) and "
                "integers within 64 bits",
                field=_field(path), limit="a finite number; integers within ±2^63",
                code="number_not_finite",
            )
        if (isinstance(value, str) and _has_lone_surrogate(value)) or (
            path and _has_lone_surrogate(path[-1])
        ):
            raise _Refused(
                422, f"{_field(path)}: text must be valid Unicode (a lone surrogate was sent)",
                field=_field(path), limit="valid Unicode", code="text_not_unicode",
            )
        bad = (_forbidden_char(value) if isinstance(value, str) else None) or (
            _forbidden_char(path[-1]) if path else None
        )
        if bad is not None:
            raise _Refused(
                422, f"{_field(path)}: text may not hold the character {bad}",
                field=_field(path), value=bad,
                limit="no control characters but tab and line breaks; no U+202A..U+202E",
                code="text_control_char",
            )


class RequestGuardMiddleware:
    """Bounds every request body and checks JSON bodies (see the module docstring)."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    def limit_for(self, path: str) -> int:
        """The largest body, in bytes, that ``path`` accepts."""
        if any(p.match(path) for p in UPLOAD_PATHS):
            return self.limits.upload_body_bytes
        return self.limits.json_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or not path.startswith("/api/"):
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(path)
        try:
            declared = _declared_length(scope)
            if declared is not None and declared > limit:
                raise _Refused(
                    413, f"the body is {declared} bytes; this route takes at most {limit}",
                    field="body", limit=f"{limit} bytes", code="body_too_large",
                )
            body, more = await self._read(receive, limit)
            if _is_json(scope):
                check_json_body(body, self.limits)
        except _Refused as refused:
            response = problem(
                refused.status,
                "Request too large" if refused.status == 413 else "Invalid request",
                refused.detail,
                instance=path,
                **refused.fields,
            )
            await response(scope, receive, send)
            return
        await self.app(scope, self._replay(body, more, receive), send)

    async def _read(self, receive: Receive, limit: int) -> tuple[bytes, bool]:
        """The whole body (at most ``limit`` bytes), and whether the client is still there."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return b"".join(chunks), False
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _Refused(
                    413, f"the body passed {limit} bytes, the most this route takes",
                    field="body", limit=f"{limit} bytes", code="body_too_large",
                )
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks), True

    @staticmethod
    def _replay(body: bytes, connected: bool, receive: Receive) -> Receive:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                if connected:
                    return {"type": "http.request", "body": body, "more_body": False}
                return {"type": "http.disconnect"}
            return await receive()

        return replay
