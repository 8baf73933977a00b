"""Sources: a file plays as a live source, a source that cannot be opened is named in the
error, bad addresses are refused, and the on-screen display leaves the stamp alone."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from jinghang.errors import VideoError
from jinghang.video.osd import OsdInfo, draw_osd
from jinghang.video.simcam import SimCamera, fixed_pose
from jinghang.video.sources import SourceUnavailable, StreamInfo, VideoSource
from jinghang.video.stamp import HEIGHT_PX, WIDTH_PX, read_stamp, write_stamp
from tests.video.conftest import SMALL


async def test_file_source_plays_and_loops(small_world: Any, tmp_path: Path) -> None:
    clip = tmp_path / "clip.ts"
    camera = SimCamera(fixed_pose(), str(clip), SMALL, world=small_world)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(1.5):
            await camera.run()
    source = VideoSource(str(clip), read_timeout_s=0.5)
    opened: list[StreamInfo] = []
    got = asyncio.Event()
    packets = 0

    def on_packet(packet: Any) -> None:
        nonlocal packets
        packets += 1
        if packets >= camera.frames_sent + 5:  # more than the file holds: it looped
            got.set()

    async with asyncio.TaskGroup() as group:
        task = group.create_task(source.run(on_packet, opened.append))
        info = await source.wait_open(5)
        async with asyncio.timeout(15):
            await got.wait()
        task.cancel()
    assert (info.codec_name, info.width_px, info.height_px) == ("h264", 640, 360)
    assert opened == [info]


async def test_unopenable_source_names_itself() -> None:
    source = VideoSource("/nonexistent/drone-cam.ts", backoff_initial_s=0.05)
    async with asyncio.TaskGroup() as group:
        task = group.create_task(source.run(lambda packet: None))
        with pytest.raises(SourceUnavailable) as error:
            await source.wait_open(0.5)
        task.cancel()
    assert "/nonexistent/drone-cam.ts" in error.value.message
    assert error.value.field == "source_url"
    assert source.stats.open_failures >= 1


@pytest.mark.parametrize("url", ["", "http://example.org/x", "x" * 3000])
def test_bad_source_address_is_refused(url: str) -> None:
    with pytest.raises(VideoError) as error:
        VideoSource(url)
    assert error.value.field == "source_url"


def test_osd_draws_at_the_bottom_and_keeps_the_stamp() -> None:
    luma = np.full((720, 1280), 128, np.uint8)
    write_stamp(luma, 42_000)
    before = luma.copy()
    draw_osd(luma, OsdInfo("drone-3", 37.5, 122.1, 80.0, 90.0, "coast patrol"), 1.8e9)
    assert read_stamp(luma) == 42_000
    assert np.array_equal(luma[:HEIGHT_PX, :WIDTH_PX], before[:HEIGHT_PX, :WIDTH_PX])
    assert (luma[600:] != before[600:]).any()  # the display is there
    assert np.array_equal(luma[100:500], before[100:500])  # the middle is untouched


async def test_more_sources_than_executor_workers_all_open(
    small_world: Any, tmp_path: Path
) -> None:
    """Each source reads in its own thread: a ninth drone does not wait for a free worker
    of the loop's default executor (min(32, cores + 4) workers)."""
    clip = tmp_path / "clip.ts"
    camera = SimCamera(fixed_pose(), str(clip), SMALL, world=small_world)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(1.0):
            await camera.run()
    sources = [VideoSource(str(clip), read_timeout_s=0.5) for _ in range(9)]
    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(s.run(lambda packet: None)) for s in sources]
        try:
            await asyncio.gather(*(s.wait_open(10) for s in sources))
        finally:
            for task in tasks:
                task.cancel()
    assert all(s.stats.opens == 1 for s in sources)
