"""Share links to one case: a commander creates, lists and revokes them under ``/api``
(audited), and whoever holds a link opens the read-only field page at ``/share/<token>``:
the page, the case's state with only its own drones, and those drones' live video over WHEP
(a gateway session as the observer ``share:<id>``, bound to that link)."""

from __future__ import annotations

import datetime as dt
import time
from importlib import resources
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlmodel import col, select

from jinghang.api.deps import Commander, ServicesDep, note_audit
from jinghang.api.limits import RowId
from jinghang.api.live import live_vehicles, state_to_dict
from jinghang.api.services import Services
from jinghang.api.shares import (
    DEFAULT_EXPIRES_S,
    FINAL_CASE_STATES,
    MAX_EXPIRES_S,
    MAX_TOKEN_CHARS,
    MIN_EXPIRES_S,
    OpenShare,
    ShareRefused,
    check_share,
    issue_share_token,
    share_url,
)
from jinghang.dispatch.playbooks import load_playbooks
from jinghang.errors import JinghangError
from jinghang.store.incidents import get_incident
from jinghang.store.models import Vehicle
from jinghang.store.shares import ShareRow, active_shares, create_share, get_share, revoke_share
from jinghang.video.api import SDP_MEDIA_TYPE, read_offer
from jinghang.video.gateway import OBSERVER

router = APIRouter(prefix="/incidents", tags=["shares"])
#: What a link that no longer works (or an address sending bad ones) is answered with.
LINK_REFUSALS: dict[int | str, dict[str, Any]] = {
    403: {"description": "the link expired, was revoked or its case closed "
          "(code share.expired, share.revoked, share.case_closed)"},
    404: {"description": "not a link of this server (code share.invalid)"},
    429: {"description": "too many invalid links from this address (code share.throttled)"},
}
root_router = APIRouter(prefix="/share", tags=["shares"], responses=LINK_REFUSALS)

Token = Annotated[str, Path(min_length=1, max_length=MAX_TOKEN_CHARS)]
DroneId = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[0-9]{1,10}$")]


class ShareNotFound(JinghangError):
    code = "share.not_found"
    status_code = 404
    title = "No such share link"


class ShareVideoRefused(JinghangError):
    code = "share.drone_not_in_case"
    status_code = 404
    title = "Not a drone of this case"


class NewShare(BaseModel):
    expires_in_s: int = Field(default=DEFAULT_EXPIRES_S, ge=MIN_EXPIRES_S, le=MAX_EXPIRES_S,
                              description="how long the link opens the case, in seconds")


class SharePublic(BaseModel):
    id: int
    incident_id: int
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    url: str | None = Field(default=None, description="the link (only when just created)")


def _public(share: ShareRow, url: str | None = None) -> SharePublic:
    return SharePublic(id=share.id, incident_id=share.incident_id, created_by=share.created_by,
                       created_at=share.created_at, expires_at=share.expires_at,
                       revoked_at=share.revoked_at, url=url)


@router.post("/{incident_id}/share", response_model=SharePublic, status_code=201,
             summary="A link to this case's read-only field page, valid for a while")
async def create(request: Request, services: ServicesDep, who: Commander, incident_id: RowId,
                 body: NewShare | None = None) -> SharePublic:
    ask = body or NewShare()
    note_audit(request, "incident.share.create", "incident", incident_id,
               expires_in_s=ask.expires_in_s)
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=ask.expires_in_s)
    with services.store.session() as session:
        incident = get_incident(session, incident_id)
        if incident.state in FINAL_CASE_STATES:
            raise ShareRefused(f"case {incident_id} is {incident.state}: it cannot be shared",
                               code="share.case_closed", status=409, state=incident.state)
        share = create_share(session, incident_id, who.username, expires_at)
    request.state.audit["details"]["share_id"] = share.id
    token = issue_share_token(share, secret_key=services.settings.secret_key)
    return _public(share, share_url(token))


@router.get("/{incident_id}/shares", response_model=list[SharePublic],
            summary="This case's links that still open it")
async def listing(services: ServicesDep, _: Commander, incident_id: RowId) -> list[SharePublic]:
    with services.store.read_session() as session:
        get_incident(session, incident_id)
        return [_public(s) for s in active_shares(session, incident_id, dt.datetime.now(dt.UTC))]


@router.delete("/{incident_id}/share/{share_id}", response_model=SharePublic,
               summary="Revoke a link: it stops opening the case, its video sessions end")
async def revoke(request: Request, services: ServicesDep, who: Commander, incident_id: RowId,
                 share_id: RowId) -> SharePublic:
    note_audit(request, "incident.share.revoke", "incident", incident_id, share_id=share_id)
    with services.store.session() as session:
        found = get_share(session, share_id)
        if found is None or found.incident_id != incident_id:
            raise ShareNotFound(f"case {incident_id} has no share link {share_id}",
                                field="share_id", value=share_id)
        share = revoke_share(session, share_id, who.username)
    assert share is not None
    await _close_video(services, f"share:{share.id}")
    return _public(share)


async def _close_video(services: Services, viewer: str) -> None:
    gateway = services.video_gateway
    if gateway is None:
        return
    for session_id, session in list(gateway.sessions.items()):
        if session.user == viewer:
            await gateway.close_session(session_id)


# ---------------------------------------------------------------- the field page (no sign-in)

def _page() -> str:
    return resources.files("jinghang.console").joinpath("share.html").read_text("utf-8")


@root_router.get("/{token}", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, services: ServicesDep, token: Token) -> HTMLResponse:
    """The page; for a link that no longer opens its case, the same page with the refusal's
    status (its script shows why, from the state request's code)."""
    status = 200
    try:
        check_share(request, services, token)
    except ShareRefused as refused:
        status = refused.status_code
    return HTMLResponse(_page(), status_code=status, headers={"Cache-Control": "no-store"})


def _case_drones(services: Services, opened: OpenShare) -> list[dict[str, Any]]:
    ids = sorted({s.drone_id for s in opened.incident.sorties
                  if s.drone_id is not None})
    if not ids:
        return []
    live = live_vehicles(services)
    gateway = services.video_gateway
    with services.store.read_session() as session:
        names = {row.drone_id: row.name for row in session.exec(
            select(Vehicle).where(col(Vehicle.drone_id).in_(ids)))}
    out = []
    for drone_id in ids:
        vehicle = live.get(drone_id)
        state = state_to_dict(vehicle.state) if vehicle is not None else {}
        out.append({
            "drone_id": drone_id,
            "name": names.get(drone_id, f"drone-{drone_id}"),
            "latitude_deg": state.get("latitude_deg"),
            "longitude_deg": state.get("longitude_deg"),
            "relative_altitude_m": state.get("relative_altitude_m"),
            "heading_deg": state.get("heading_deg"),
            "ground_speed_m_s": state.get("ground_speed_m_s"),
            "battery_pct": state.get("battery_pct"),
            "armed": state.get("armed"),
            "link_lost": state.get("link_lost", vehicle is None),
            "video": gateway is not None and str(drone_id) in gateway.relays,
        })
    return out


def _playbook(playbook_id: str) -> dict[str, str]:
    try:
        playbook = load_playbooks().get(playbook_id)
    except JinghangError:
        return {"id": playbook_id, "name_zh": "", "name_en": ""}
    return {"id": playbook_id, "name_zh": playbook.incident_type_zh,
            "name_en": playbook.incident_type_en}


@root_router.get("/{token}/state", summary="The shared case, its sorties and its drones now")
async def shared_state(request: Request, services: ServicesDep, token: Token) -> dict[str, Any]:
    opened = check_share(request, services, token)
    incident = opened.incident
    return {
        "share": {"id": opened.share.id, "expires_at": opened.share.expires_at.isoformat()},
        "case": {
            "id": incident.id, "title": incident.title, "state": incident.state,
            "playbook_id": incident.playbook_id, "priority": incident.priority,
            "playbook": _playbook(incident.playbook_id),
            "latitude_deg": incident.latitude_deg, "longitude_deg": incident.longitude_deg,
            "area": incident.area, "created_at": incident.created_at.isoformat(),
        },
        "sorties": [
            {"id": s.id, "state": s.state, "playbook_id": s.playbook_id,
             "drone_id": s.drone_id}
            for s in incident.sorties
        ],
        "drones": _case_drones(services, opened),
        "now_s": time.time(),
    }


def _case_drone(services: Services, opened: OpenShare, drone_id: str) -> Any:
    """The video gateway, if ``drone_id`` flies a sortie of the shared case and has video."""
    ids = {str(s.drone_id) for s in opened.incident.sorties
           if s.drone_id is not None}
    if drone_id not in ids:
        raise ShareVideoRefused(f"drone {drone_id} flies no sortie of this case",
                                field="drone_id", value=drone_id)
    if services.video_gateway is None:
        raise ShareVideoRefused("this server serves no video", field="drone_id",
                                value=drone_id, code="share.no_video")
    return services.video_gateway


@root_router.post("/{token}/video/{drone_id}/whep", status_code=201, response_class=Response,
                  responses={201: {"content": {SDP_MEDIA_TYPE: {}}}})
async def start_viewing(request: Request, services: ServicesDep, token: Token,
                        drone_id: DroneId, mode: str = "auto") -> Response:
    """Answer the field page's WHEP offer for a drone of the shared case."""
    opened = check_share(request, services, token)
    gateway = _case_drone(services, opened, drone_id)
    offer = await read_offer(request)
    session = await gateway.open_session(drone_id, offer, mode, user=opened.viewer,
                                         role=OBSERVER)
    response = Response(content=session.answer_sdp, status_code=201, media_type=SDP_MEDIA_TYPE,
                        headers={"Location": f"{request.url.path.rstrip('/')}/"
                                             f"{session.session_id}",
                                 "X-Video-Mode": session.mode})
    for link in gateway.ice_link_headers():
        response.headers.append("Link", link)
    return response


@root_router.delete("/{token}/video/{drone_id}/whep/{session_id}", status_code=204,
                    response_class=Response)
async def stop_viewing(request: Request, services: ServicesDep, token: Token,
                       drone_id: DroneId, session_id: Annotated[str, Path(max_length=64)],
                       ) -> Response:
    """End a viewing session opened through this link (another's is unknown here)."""
    opened = check_share(request, services, token)
    gateway = _case_drone(services, opened, drone_id)
    session = gateway.sessions.get(session_id)
    if session is None or session.drone_id != drone_id or session.user != opened.viewer:
        session_id = ""
    await gateway.close_session(session_id)
    return Response(status_code=204)

