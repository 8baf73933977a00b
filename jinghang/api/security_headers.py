"""Security headers on every HTTP response: a Content-Security-Policy, frame denial, nosniff
and a referrer policy.

A pure ASGI middleware. Three policies by path:

- the API (``/api/...``): ``default-src 'none'; frame-ancestors 'none'``; JSON needs nothing;
- the API's docs pages (``/api/docs``, ``/api/redoc``), which FastAPI builds from a CDN with
  an inline script: that CDN and inline scripts, nothing else;
- the console (everything else): scripts and style sheets from the server only; ``style``
  attributes allowed (Leaflet and the console's map markers position and colour elements
  with them; a style attribute cannot run code); images from the server, ``data:`` and
  ``blob:`` URLs and the origin of the deployment's map tiles (``console_tile_url``);
  fetches and the WebSocket to the server only; no plugins, no ``<base>``, forms posting to
  the server only. WebRTC media is not governed by CSP.

Every response also gets ``X-Frame-Options: DENY`` (with ``frame-ancestors 'none'``: no site
can frame the console to trick a click), ``X-Content-Type-Options: nosniff`` and
``Referrer-Policy: no-referrer``. A header a route set itself is kept.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_PATHS = ("/api/docs", "/api/redoc")
DOCS_POLICY = (
    "default-src 'none'; "
    "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def tile_source(tile_url: str) -> str:
    """The CSP source of a tile URL template (``https://{s}.tile.example/{z}/{x}/{y}.png`` ->
    ``https://*.tile.example``); "" for none or a template without a host."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url.replace("{s}", "subdomain-placeholder"))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return ""
    host = parts.netloc.replace("subdomain-placeholder", "*")
    if any(c in host for c in " ;,'{}"):
        return ""
    return f"{parts.scheme}://{host}"


def console_policy(tile_url: str = "") -> str:
    """The console's policy, allowing the map tiles of ``tile_url`` (if any)."""
    tiles = tile_source(tile_url)
    images = "'self' data: blob:" + (f" {tiles}" if tiles else "")
    return (
        "default-src 'self'; "
        "script-src 'self'; "
        "style-src 'self' 'unsafe-inline'; style-src-elem 'self'; "
        f"img-src {images}; "
        "media-src 'self' blob:; "
        "connect-src 'self'; "
        "font-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


COMMON_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, tile_url: str = "") -> None:
        self.app = app
        self._console = console_policy(tile_url).encode()

    def _policy(self, path: str) -> bytes:
        if path.startswith(DOCS_PATHS):
            return DOCS_POLICY.encode()
        if path == "/api" or path.startswith("/api/"):
            return API_POLICY.encode()
        return self._console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self._policy(str(scope.get("path", "")))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                for name, value in (*COMMON_HEADERS, (b"content-security-policy", policy)):
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
