"""jinghang.video: every drone's camera live over WebRTC, recorded with chain of custody.

- :mod:`.sources`: RTSP, UDP MPEG-TS, RTMP or file input with PyAV, one reader thread per
  source, reconnecting with backoff; :mod:`.source_address` reads credentials and the RTSP
  transport from the address and redacts them wherever it is shown.
- :mod:`.relay`: one relay per drone; H.264 passthrough to viewers that take it, one
  decode + on-screen display (:mod:`.osd`) + VP8 encode (:mod:`.transcode`) for the others.
- :mod:`.gateway`: all relays and the viewers' peer connections (ICE servers from settings).
- :mod:`.api`: WHEP signaling, ``router_for(gateway, auth_dependency)``.
- :mod:`.recording` / :mod:`.verify`: MP4 segments per flight, SHA-256 into the audit hook and
  a manifest; ``jinghang recordings verify DIR`` (:mod:`.cli`).
- :mod:`.analytics`: motion, people and vehicles on sampled keyframes -> ``video.detection``;
  :mod:`.detector_model` (the CenterNet an npm package ships, translated by
  :mod:`.tfjs_graph`), :mod:`.ground` (a box's position on the map).
- :mod:`.simcam`: the simulator camera (synthetic world, H.264 MPEG-TS over UDP).
- :mod:`.stamp`: the capture-time block used to measure glass-to-glass latency.
"""
