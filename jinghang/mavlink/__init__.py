"""jinghang.mavlink: the one MAVLink codec that the flight core and the simulator share.

- :mod:`~jinghang.mavlink.dialect`: pymavlink's generated ``ardupilotmega`` MAVLink 2
  dialect (encode and decode only; no pymavlink connections).
- :mod:`~jinghang.mavlink.constants`: the MAV_* numbers used by name, typed, from the dialect.
- :mod:`~jinghang.mavlink.channel`: bytes to messages and back for one link, one resync rule,
  counters.
- :mod:`~jinghang.mavlink.signing`: MAVLink 2 signing keys, timestamps, accept or refuse.
- :mod:`~jinghang.mavlink.mission_items`: mission items to and from MISSION_ITEM(_INT),
  ``_INT`` frames normalised, ArduPilot's home at sequence 0.
- :mod:`~jinghang.mavlink.modes`: ArduCopter and PX4 mode tables.

Nothing here does I/O, and nothing here imports :mod:`jinghang.flight` or
:mod:`jinghang.simulator`.
"""
