"""Source addresses as a deployment writes them in the fleet register: credentials and the
RTSP transport in the URL (or as settings), refused with the field at fault when wrong, and
never shown: not in the source's own address, its errors, nor the fleet view."""

from __future__ import annotations

from pathlib import Path

import pytest

from jinghang.api import register
from jinghang.api.register import VehicleCreate
from jinghang.api.services import Services
from jinghang.errors import VideoError
from jinghang.video.source_address import parse_source_address
from jinghang.video.sources import VideoSource
from tests.api.harness import running_api

CAMERA = "rtsp://admin:p%40ss%3Aw0rd@10.0.0.21:8554/main?channel=1#transport=udp"


def test_credentials_and_transport_travel_in_the_address() -> None:
    source = VideoSource(CAMERA)
    assert source.transport == "udp"
    assert source.url == "rtsp://***@10.0.0.21:8554/main?channel=1"
    assert source.address.open_url == "rtsp://admin:p%40ss%3Aw0rd@10.0.0.21:8554/main?channel=1"
    failure = f"[Errno 1094995529] Invalid data: '{source.address.open_url}' (p@ss:w0rd)"
    assert "p@ss" not in source.address.redact(failure)
    assert source.url in source.address.redact(failure)


def test_credentials_and_transport_as_settings() -> None:
    source = VideoSource("rtsp://10.0.0.21/main", transport="TCP", username="pilot",
                         password="a@b:c/d")
    assert source.transport == "tcp"
    assert source.address.open_url == "rtsp://pilot:a%40b%3Ac%2Fd@10.0.0.21/main"
    assert source.url == "rtsp://***@10.0.0.21/main"
    assert VideoSource("rtsp://10.0.0.21/main").transport == "tcp"  # the default


def test_secret_query_parameters_and_stream_keys_are_hidden() -> None:
    address = parse_source_address("rtmp://10.0.0.5/live/drone?token=abc123&quality=hd")
    assert address.shown_url == "rtmp://10.0.0.5/live/drone?token=***&quality=hd"
    assert "abc123" not in address.redact(f"failed: {address.open_url}")
    srt = parse_source_address("srt://10.0.0.9:9000?mode=caller&passphrase=verysecret1")
    assert srt.shown_url == "srt://10.0.0.9:9000?mode=caller&passphrase=***"


@pytest.mark.parametrize(("url", "options", "field"), [
    ("rtsp://10.0.0.21/main#transport=quic", {}, "transport"),
    ("rtsp://10.0.0.21/main#latency=0", {}, "source_url"),
    ("rtmp://10.0.0.21/live/k#transport=udp", {}, "transport"),
    ("udp://127.0.0.1:5600", {"password": "x"}, "username"),
    ("rtsp://u:secret@10.0.0.21:port/main", {}, "source_url"),
    ("http://u:secret@10.0.0.21/main", {}, "source_url"),
])
def test_bad_addresses_name_the_setting_and_hide_the_password(
    url: str, options: dict[str, str], field: str
) -> None:
    with pytest.raises(VideoError) as error:
        VideoSource(url, **options)
    assert error.value.field == field
    assert "secret" not in str(error.value.to_dict())


async def test_fleet_view_does_not_show_camera_passwords(tmp_path: Path) -> None:
    def add_vehicle(services: Services) -> None:
        register.ensure_vehicle(services, VehicleCreate(
            drone_id=1, name="harbour", base_latitude_deg=37.5, base_longitude_deg=122.1,
            video_source_url=CAMERA))

    async with running_api(tmp_path, customize=add_vehicle) as api:
        fleet = (await api.get("/api/fleet")).text
        one = (await api.get("/api/fleet/1")).json()
    assert "p%40ss" not in fleet and "admin" not in fleet
    assert one["video_source_url"] == "rtsp://***@10.0.0.21:8554/main?channel=1"
