"""WHEP signaling (the IETF WebRTC-HTTP egress protocol) as a FastAPI router.

``router_for(gateway, auth_dependency)`` gives:

- ``POST /video/{drone_id}/whep`` with an ``application/sdp`` offer: ``201 Created``, the SDP
  answer, and ``Location: /video/{drone_id}/whep/{session_id}``. ``?mode=auto|passthrough|
  transcode`` picks the path (auto: H.264 passthrough when the viewer takes H.264, else the
  VP8 picture with the on-screen display). ``Link: <url>; rel="ice-server"`` headers carry
  the configured STUN/TURN servers (none by default).
- ``DELETE /video/{drone_id}/whep/{session_id}``: ``204``, the session ends.
- ``GET /video/status``: relays, viewer counts and counters.

Every route runs ``auth_dependency`` first (the API passes its own; 401 without a token).
What it returns says who views, for the gateway's session limits: the API's principal (a
``username`` and a ``role``), or a bare user name (counted as an observer). A refused
session is 429 (this user's limit) or 503 (the drone's or the gateway's), with a ``code``.
Errors are raised as :class:`~jinghang.errors.VideoError` subclasses carrying their HTTP
status (400 for a malformed or hostile offer, with the reason); the API's single
``JinghangError`` handler turns them into problem responses.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from fastapi import APIRouter, Depends, Request, Response

from jinghang.errors import VideoError
from jinghang.video.gateway import OBSERVER, VideoGateway
from jinghang.video.sdp_check import MAX_OFFER_BYTES, BadOffer

SDP_MEDIA_TYPE = "application/sdp"


class UnsupportedMediaType(VideoError):
    """A WHEP offer must be sent as application/sdp."""

    code = "video.unsupported_media_type"
    status_code = 415
    title = "Unsupported media type"


async def read_offer(request: Request) -> bytes:
    """A WHEP request's SDP offer: Content-Type application/sdp, at most MAX_OFFER_BYTES."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != SDP_MEDIA_TYPE:
        raise UnsupportedMediaType("a WHEP offer must have Content-Type application/sdp",
                                   field="content-type", value=content_type,
                                   limit=SDP_MEDIA_TYPE)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_OFFER_BYTES:
            raise BadOffer("the SDP offer is over the size limit", field="sdp",
                           limit=MAX_OFFER_BYTES)
    return bytes(body)


@runtime_checkable
class ViewerIdentity(Protocol):
    """Who asks to view, as the API's signed-in principal says."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...


def viewer_of(principal: object) -> tuple[str, str]:
    """(user, role) of what the auth dependency returned."""
    if isinstance(principal, ViewerIdentity):
        return principal.username, str(principal.role)
    if isinstance(principal, str) and principal:
        return principal, OBSERVER
    return "anonymous", OBSERVER


def router_for(gateway: VideoGateway, auth_dependency: Callable[..., Any]) -> APIRouter:
    """The video routes, every one behind ``auth_dependency``."""
    router = APIRouter(prefix="/video", tags=["video"], dependencies=[Depends(auth_dependency)])
    refusals: dict[int | str, dict[str, Any]] = {
        429: {"description": "this user holds the most viewing sessions one user may "
              "(code video.sessions.per_user)"},
        503: {"description": "the drone or the gateway serves the most viewers it may, and "
              "none of lower rank to close (code video.sessions.per_drone or .total)"},
    }

    @router.post(
        "/{drone_id}/whep",
        status_code=201,
        response_class=Response,
        responses={201: {"content": {SDP_MEDIA_TYPE: {}}, "description": "the SDP answer"},
                   **refusals},
    )
    async def start_viewing(
        drone_id: str,
        request: Request,
        mode: str = "auto",
        # a default, not Annotated: the string annotation could not see this local
        principal: Any = Depends(auth_dependency),
    ) -> Response:
        """Answer a viewer's SDP offer for one drone's live video."""
        offer = await read_offer(request)
        user, role = viewer_of(principal)
        session = await gateway.open_session(drone_id, offer, mode, user=user, role=role)
        location = f"{request.url.path.rstrip('/')}/{session.session_id}"
        response = Response(
            content=session.answer_sdp,
            status_code=201,
            media_type=SDP_MEDIA_TYPE,
            headers={"Location": location, "X-Video-Mode": session.mode},
        )
        for link in gateway.ice_link_headers():
            response.headers.append("Link", link)
        return response

    @router.delete("/{drone_id}/whep/{session_id}", status_code=204, response_class=Response)
    async def stop_viewing(
        drone_id: str,
        session_id: str,
        principal: Any = Depends(auth_dependency),
    ) -> Response:
        """End a viewing session: one's own, or anyone's for an admin. Another user's
        session is treated as unknown (nothing is closed, nothing told)."""
        user, role = viewer_of(principal)
        session = gateway.sessions.get(session_id)
        if session is not None and (session.drone_id != drone_id
                                    or (session.user != user and role != "admin")):
            session = None
        await gateway.close_session(session_id if session is not None else "")
        return Response(status_code=204)

    @router.get("/status")
    async def video_status() -> dict[str, Any]:
        """Every drone's relay: viewers, source state, packets read, frames encoded."""
        return gateway.describe()

    return router
