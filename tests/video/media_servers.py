"""Real media servers for the video tests and benchmarks, each on a free 127.0.0.1 port.

- :class:`RtspServer`: GStreamer's RTSP server (``tests/video/rtsp_server.py`` run by
  Debian's ``/usr/bin/python3``), serving a simulator camera's UDP MPEG-TS as H.264 or H.265,
  optionally behind digest or basic authentication; stop and start it again on the same port
  to restart it mid-stream.
- :class:`RtmpServer`: nginx with ``libnginx-mod-rtmp``, not daemonised, its configuration,
  pid and logs in a temporary directory.
- :class:`RtmpPush`: ffmpeg pushing a camera's UDP MPEG-TS to an RTMP server as FLV, as a DJI
  aircraft or a field encoder pushes its picture.

``missing_rtsp_server()`` / ``missing_rtmp_server()`` say which Debian package is missing
(empty when none is), so that a test can skip with that reason; ``scripts/test`` installs
them. Servers are async context managers and always stopped by the process that started
them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

from tests.conftest import free_tcp_port

DEBIAN_PYTHON = "/usr/bin/python3"
RTSP_SCRIPT = Path(__file__).with_name("rtsp_server.py")
NGINX_RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")
_GST_ELEMENTS = ("udpsrc", "tsdemux", "h264parse", "rtph264pay", "avdec_h264", "videoconvert",
                 "x265enc", "h265parse", "rtph265pay")
_GST_CHECK = f"""
import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer
Gst.init(None)
missing = [e for e in {_GST_ELEMENTS!r} if Gst.ElementFactory.find(e) is None]
print(" ".join(missing))
"""


@functools.cache
def missing_rtsp_server() -> str:
    """Why GStreamer's RTSP server cannot run here ('' when it can)."""
    if not Path(DEBIAN_PYTHON).exists():
        return f"{DEBIAN_PYTHON} (Debian's python3 with python3-gi) is not installed"
    try:
        done = subprocess.run([DEBIAN_PYTHON, "-c", _GST_CHECK], capture_output=True,
                              text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return "GStreamer did not start within 60 s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return ("GStreamer's RTSP server cannot be imported (Debian: python3-gi, "
                f"gir1.2-gst-rtsp-server-1.0): {last}")
    missing = done.stdout.split()
    if missing:
        return (f"GStreamer elements missing: {', '.join(missing)} (Debian: "
                "gstreamer1.0-plugins-base/-good/-bad/-ugly, gstreamer1.0-libav)")
    return ""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)


@functools.cache
def missing_rtmp_server() -> str:
    """Why nginx's RTMP server and the ffmpeg encoder cannot run here ('' when they can)."""
    if nginx_binary() is None:
        return "nginx is not installed (Debian: nginx with libnginx-mod-rtmp)"
    if not NGINX_RTMP_MODULE.exists():
        return f"nginx's RTMP module is not installed ({NGINX_RTMP_MODULE}; libnginx-mod-rtmp)"
    if shutil.which("ffmpeg") is None:
        return "ffmpeg is not installed (Debian: ffmpeg)"
    return ""


async def _stop(process: asyncio.subprocess.Process | None) -> None:
    if process is None or process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        async with asyncio.timeout(5):
            await process.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


def _tail(log: Path, chars: int = 2000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""


async def _wait_listening(port: int, process: asyncio.subprocess.Process, what: str,
                          log: Path, timeout_s: float = 15.0) -> None:
    async with asyncio.timeout(timeout_s):
        while True:
            if process.returncode is not None:
                raise RuntimeError(f"{what} exited ({process.returncode}): {_tail(log)}")
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
                return
            await asyncio.sleep(0.05)


class _Server:
    """A child process started by ``start`` and ended by ``stop``; its log in a temp dir."""

    what = "server"

    def __init__(self) -> None:
        self.port = free_tcp_port()
        self._dir = tempfile.TemporaryDirectory(prefix="jinghang-media-")
        self.dir = Path(self._dir.name)
        self.log = self.dir / "server.log"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    def command(self) -> list[str]:
        raise NotImplementedError

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                *self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        self.starts += 1
        await _wait_listening(self.port, self.process, self.what, self.log)

    async def stop(self) -> None:
        await _stop(self.process)
        self.process = None

    async def restart(self, down_s: float = 0.0) -> None:
        await self.stop()
        await asyncio.sleep(down_s)
        await self.start()

    async def __aenter__(self) -> _Server:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()
        self._dir.cleanup()


class RtspServer(_Server):
    """GStreamer's RTSP server on ``rtsp://127.0.0.1:<port>/cam``, fed by a camera sending
    MPEG-TS to ``udp_port``."""

    what = "GStreamer's RTSP server"

    def __init__(self, udp_port: int, *, codec: str = "h264", user: str = "",
                 password: str = "", auth: str = "digest", path: str = "/cam",
                 config_interval: int = 0) -> None:
        super().__init__()
        self.config_interval = config_interval
        self.udp_port = udp_port
        self.codec = codec
        self.user = user
        self.password = password
        self.auth = auth
        self.path = path

    def command(self) -> list[str]:
        cmd = [DEBIAN_PYTHON, str(RTSP_SCRIPT), "--port", str(self.port), "--path", self.path,
               "--udp-port", str(self.udp_port), "--codec", self.codec, "--auth", self.auth,
               "--config-interval", str(self.config_interval)]
        if self.user:
            cmd += ["--user", self.user, "--password", self.password]
        return cmd

    @property
    def url(self) -> str:
        """The address without credentials."""
        return f"rtsp://127.0.0.1:{self.port}{self.path}"

    async def __aenter__(self) -> RtspServer:
        await self.start()
        return self


class RtmpServer(_Server):
    """nginx-rtmp with one live application, ``rtmp://127.0.0.1:<port>/live/<key>``."""

    what = "nginx-rtmp"

    def command(self) -> list[str]:
        conf = self.dir / "nginx.conf"
        conf.write_text(f"""
daemon off;
master_process off;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.log} info;
load_module {NGINX_RTMP_MODULE};
events {{ worker_connections 64; }}
rtmp {{
    server {{
        listen 127.0.0.1:{self.port};
        chunk_size 4096;
        application live {{
            live on;
            record off;
            wait_key on;
        }}
    }}
}}
""")
        binary = nginx_binary()
        assert binary is not None
        return [binary, "-c", str(conf), "-p", str(self.dir), "-e", str(self.log)]

    def url(self, key: str) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live/{key}"

    def publishing(self, key: str) -> bool:
        """Whether an encoder has started publishing ``key`` (nginx logs each publish)."""
        return f"publish: name='{key}'" in _tail(self.log, 1_000_000)

    async def wait_published(self, key: str, timeout_s: float = 30.0) -> None:
        async with asyncio.timeout(timeout_s):
            while True:
                if self.publishing(key):
                    return
                await asyncio.sleep(0.1)

    async def __aenter__(self) -> RtmpServer:
        await self.start()
        return self


class RtmpPush:
    """ffmpeg pushing the H.264 a camera sends to ``udp_port`` (copied, not re-encoded) to
    ``target`` as FLV over RTMP, until stopped."""

    def __init__(self, udp_port: int, target: str, log_dir: Path) -> None:
        self.udp_port = udp_port
        self.target = target
        self.log = log_dir / "ffmpeg-push.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        source = (f"udp://127.0.0.1:{self.udp_port}?fifo_size=100000&overrun_nonfatal=1")
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-loglevel", "info",
                "-fflags", "nobuffer", "-probesize", "500000", "-analyzeduration", "1500000",
                "-i", source, "-map", "0:v:0", "-c", "copy",
                "-f", "flv", "-flvflags", "no_duration_filesize", self.target,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log)

    async def stop(self) -> None:
        await _stop(self.process)
        self.process = None

    async def __aenter__(self) -> RtmpPush:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()
