"""jinghang.video.gb28181: the platform as a GB/T 28181 device of a police video platform.

- :mod:`.settings`: the ``gb28181`` section of the settings (disabled by default).
- :mod:`.ids`: 20-digit GB ids, one channel per drone, derived from the device id.
- :mod:`.digest`: SIP digest authentication (RFC 2617 / RFC 7616, MD5).
- :mod:`.manscdp`: the MANSCDP XML bodies (Keepalive, Catalog, DeviceInfo), GB2312.
- :mod:`.sdp`: the platform's INVITE SDP (where and how to send) and our answer.
- :mod:`.ps` / :mod:`.rtp`: H.264 access units into MPEG-2 program stream, PS into RTP.
- :mod:`.transport`: SIP over UDP or TCP, with request transactions and retransmission.
- :mod:`.media`: one live push of a drone's relay to the platform (UDP, TCP active/passive).
- :mod:`.device`: registration, keepalive, queries, INVITE/ACK/BYE: ``await device.run()``.

Nothing here is imported by the rest of the video package; the runtime wires the device as
a runner when the section is enabled.
"""
