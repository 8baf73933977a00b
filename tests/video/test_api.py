"""The WHEP routes' refusals: no token, bad or hostile SDP, wrong media type, unknown drone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from jinghang.video.gateway import VideoGateway, ice_configuration
from jinghang.video.sources import VideoSource
from tests.video.conftest import AUTH, Viewer, make_app

SDP = {"Content-Type": "application/sdp"}


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with VideoGateway(source_open_wait_s=0) as gateway:
        # nothing sends there; short timeouts so the reader thread stops at once
        gateway.add_drone("drone-1", VideoSource("udp://127.0.0.1:9", open_timeout_s=0.2,
                                                 read_timeout_s=0.2))
        transport = httpx.ASGITransport(app=make_app(gateway))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def _good_offer() -> str:
    viewer = Viewer("H264")
    try:
        return await viewer.offer()
    finally:
        await viewer.close()


async def test_no_token_gives_401(http: httpx.AsyncClient) -> None:
    response = await http.post("/video/drone-1/whep", content=await _good_offer(), headers=SDP)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    wrong = await http.post("/video/drone-1/whep", content="v=0",
                            headers={**SDP, "Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert (await http.get("/video/status")).status_code == 401
    assert (await http.delete("/video/drone-1/whep/abc")).status_code == 401


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "empty"),
        ("hello", "v=0"),
        ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n\x00\r\n", "printable"),
        ("v=0\r\n" + "a=x\r\n" * 1200, "too many lines"),
        ("v=0\r\na=" + "x" * 5000 + "\r\n", "too long"),
        ("v=0\r\n" + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" * 5, "too many media"),
        ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", "no video"),
        ("v=0\r\n" + "a=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n" * 70, "ICE candidates"),
        ("v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF x\r\n", "cannot be parsed"),
    ],
    ids=["empty", "not-sdp", "nul", "many-lines", "long-line", "many-media", "no-video",
         "many-candidates", "unparsable"],
)
async def test_bad_sdp_gives_400_with_the_reason(
    http: httpx.AsyncClient, body: str, reason: str
) -> None:
    response = await http.post("/video/drone-1/whep", content=body, headers={**AUTH, **SDP})
    assert response.status_code == 400, response.text
    assert reason in response.json()["detail"]
    assert response.json()["field"].startswith("sdp")


async def test_offer_without_usable_codec_or_credentials_gives_400(
    http: httpx.AsyncClient,
) -> None:
    offer = await _good_offer()
    no_ice = "\r\n".join(x for x in offer.split("\r\n") if not x.startswith("a=ice-pwd"))
    response = await http.post("/video/drone-1/whep", content=no_ice, headers={**AUTH, **SDP})
    assert response.status_code == 400
    assert "ICE credentials" in response.json()["detail"]

    unknown_codec = offer.replace("H264/90000", "AV1X/90000")
    response = await http.post("/video/drone-1/whep", content=unknown_codec,
                               headers={**AUTH, **SDP})
    assert response.status_code == 400
    assert "H264 nor VP8" in response.json()["detail"]

    huge = "v=0\r\n" + "a=" + ("y" * 1000 + "\r\na=") * 40
    response = await http.post("/video/drone-1/whep", content=huge, headers={**AUTH, **SDP})
    assert response.status_code == 400
    assert response.json()["limit"] == 32 * 1024


async def test_wrong_media_type_and_unknown_drone(http: httpx.AsyncClient) -> None:
    offer = await _good_offer()
    response = await http.post("/video/drone-1/whep", json={"sdp": offer}, headers=AUTH)
    assert response.status_code == 415
    response = await http.post("/video/nobody/whep", content=offer, headers={**AUTH, **SDP})
    assert response.status_code == 404
    assert response.json()["field"] == "drone_id"
    response = await http.post("/video/drone-1/whep?mode=fast", content=offer,
                               headers={**AUTH, **SDP})
    assert response.status_code == 400
    assert response.json()["field"] == "mode"


async def test_configured_ice_servers_are_advertised_and_none_by_default() -> None:
    turn = {"urls": "turn:127.0.0.1:3478", "username": "police", "credential": "s3cret"}
    for servers, expected in (([], []), ([turn], ["<turn:127.0.0.1:3478>"])):
        gateway = VideoGateway(servers, source_open_wait_s=0)
        assert [link.split(";")[0] for link in gateway.ice_link_headers()] == expected
        assert [s.urls for s in gateway.configuration.iceServers or []] == [
            s["urls"] for s in servers
        ]


async def test_answer_carries_location_and_ice_server_links() -> None:
    turn = {"urls": "turn:127.0.0.1:3478", "username": "police", "credential": "s3cret"}
    async with VideoGateway([turn], source_open_wait_s=0) as gateway:
        # advertised to viewers, but not used by the gateway's own peer connections here:
        # there is no TURN server to reach in a test
        gateway.configuration = ice_configuration([])
        gateway.add_drone("drone-1", VideoSource("udp://127.0.0.1:9", open_timeout_s=0.2,
                                                 read_timeout_s=0.2))
        transport = httpx.ASGITransport(app=make_app(gateway))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            response = await http.post("/video/drone-1/whep", content=await _good_offer(),
                                       headers={**AUTH, **SDP})
            assert response.status_code == 201
            assert response.text.startswith("v=0")
            assert response.headers.get_list("link") == [
                '<turn:127.0.0.1:3478>; rel="ice-server"; username="police"; '
                'credential="s3cret"; credential-type="password"'
            ]
            deleted = await http.delete(response.headers["location"], headers=AUTH)
            assert deleted.status_code == 204
