"""A real RTSP server for the video tests: GStreamer's gst-rtsp-server (Debian's
``gir1.2-gst-rtsp-server-1.0``), run by Debian's own Python (``/usr/bin/python3``, which has
``python3-gi``), never imported by the tests' Python.

    /usr/bin/python3 tests/video/rtsp_server.py --port 8554 --path /cam --udp-port 5600 \
        [--codec h264|h265] [--user U --password P [--auth digest|basic]]

It serves what a simulator camera sends as MPEG-TS over UDP to ``--udp-port`` (H.264 passed
through unchanged, or re-encoded to H.265 with ``--codec h265``), as one shared stream, over
RTP/UDP or interleaved RTP/TCP as the client asks. It prints ``ready`` on stdout once it
listens and runs until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def launch_line(udp_port: int, codec: str, config_interval: int = 0) -> str:
    # Each PES packet of the camera's MPEG-TS holds one whole frame: saying so (alignment=au)
    # lets h264parse pass each frame on at once instead of holding it until the next one
    # begins, which added a frame interval (66 ms at 15 fps) that a camera's own RTSP server,
    # fed by its encoder frame by frame, does not have.
    source = (f'udpsrc address=127.0.0.1 port={udp_port} buffer-size=2000000 '
              f'caps="video/mpegts,systemstream=(boolean)true" ! tsdemux latency=0 '
              f"! video/x-h264,stream-format=byte-stream,alignment=au ! h264parse")
    # The camera repeats its parameter sets before each keyframe already; with
    # --config-interval -1 the payloader adds its own before every slice of a keyframe, as
    # some camera servers do (FFmpeg's parser then cuts each multi-slice keyframe in two).
    if codec == "h264":
        return f"( {source} ! rtph264pay name=pay0 pt=96 config-interval={config_interval} )"
    return (f"( {source} ! avdec_h264 ! videoconvert ! x265enc tune=zerolatency "
            f"speed-preset=ultrafast key-int-max=15 ! h265parse config-interval=-1 "
            f"! rtph265pay name=pay0 pt=96 config-interval=0 )")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--udp-port", type=int, required=True)
    parser.add_argument("--codec", choices=["h264", "h265"], default="h264")
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--auth", choices=["digest", "basic"], default="digest")
    parser.add_argument("--config-interval", type=int, default=0,
                        help="rtph264pay config-interval (-1: SPS/PPS before every IDR slice)")
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args.udp_port, args.codec, args.config_interval))
    factory.set_shared(True)
    factory.set_latency(0)
    factory.set_protocols(GstRtsp.RTSPLowerTrans.UDP | GstRtsp.RTSPLowerTrans.TCP)
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "camera-user")
        if args.auth == "digest":
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
            auth.add_digest(args.user, args.password, token)
        else:
            auth.set_supported_methods(GstRtsp.RTSPAuthMethod.BASIC)
            auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role("camera-user", "media.factory.access", True)
        permissions.add_permission_for_role("camera-user", "media.factory.construct", True)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        raise SystemExit(2)
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
