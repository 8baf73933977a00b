"""Jinghang (警航): an open-source drone police operations platform.

Sub-packages: ``flight`` (MAVLink links and vehicles), ``missions`` (plans, patterns, the
template catalog, safety checks, file formats), ``dispatch`` (incidents, playbooks, drone
choice, patrols), ``video`` (camera sources, WebRTC gateway, recording), ``simulator`` (the
built-in ArduCopter-compatible vehicle and the SITL launcher), ``store`` (database), ``api``
(FastAPI) and ``console`` (the browser console's static files).
"""

__version__ = "0.1.0"
