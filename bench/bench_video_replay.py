"""Replay a recorded MPEG-TS clip to several UDP ports at its real frame rate, looping,
without decoding: N drone cameras' worth of 720p30 H.264 for the cost of a remux.

    python bench/bench_video_replay.py CLIP.ts PORT [PORT ...] [--duration-s 20]

The capacity benchmark uses it so that rendering cameras do not eat the CPU it measures.
"""

from __future__ import annotations

import argparse
import fractions
import sys
import time
from pathlib import Path

import av

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import require, run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("clip")
    parser.add_argument("ports", type=int, nargs="+")
    parser.add_argument("--duration-s", type=float, default=20.0)
    args = parser.parse_args()

    with av.open(args.clip) as source:
        stream = source.streams.video[0]
        rate = stream.average_rate or fractions.Fraction(30, 1)
        packets = [(bytes(p), bool(p.is_keyframe)) for p in source.demux(stream) if p.size]
        require(packets, f"the clip {args.clip} holds no video packet to replay")
        outputs = []
        for port in args.ports:
            out = av.open(f"udp://127.0.0.1:{port}?pkt_size=1316", "w", format="mpegts",
                          options={"flush_packets": "1", "max_delay": "0"})
            out_stream = out.add_stream_from_template(stream)
            outputs.append((out, out_stream))
    period_s = 1.0 / float(rate)
    time_base = fractions.Fraction(1, 90000)
    ticks = int(90000 * period_s)
    start = time.monotonic()
    index = 0
    while time.monotonic() - start < args.duration_s:
        data, keyframe = packets[index % len(packets)]
        for out, out_stream in outputs:
            packet = av.Packet(data)
            packet.pts = packet.dts = index * ticks
            packet.time_base = time_base
            packet.is_keyframe = keyframe
            packet.stream = out_stream
            out.mux(packet)
        index += 1
        delay = start + index * period_s - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    for out, _ in outputs:
        out.close()


if __name__ == "__main__":
    run(main)
