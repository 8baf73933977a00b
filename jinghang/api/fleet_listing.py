"""The fleet view's JSON body (``GET /api/fleet``), encoded once and served to every reader
until something in it may have changed.

The console polls the fleet view, often from several screens, and each body is the same
50-vehicle document. :class:`FleetListing` keeps the last encoded body and rebuilds it
(:func:`jinghang.api.register.fleet_view`, then :func:`encode_json`) when any of these holds:

- a telemetry tick has passed since it was built (``1 / fleet.telemetry_rate_hz``, 0.2 s by
  default: the rate at which the fleet publishes each vehicle's telemetry), so live state,
  vehicles that appeared and writes made outside this process are at most one tick old;
- anything was committed to the database through this process's engine since (a drone
  registered or updated, a dispatcher status written): seen by the next request;
- what the dispatcher has each drone doing (``busy_with``) is not what it was.

Without a fleet, or with a fleet publishing on every message (rate 0), nothing is kept. The
body is the same for every signed-in reader (the fleet view is not filtered per user); a
per-user view would need the user in the key.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from sqlalchemy import event

from jinghang.api import register
from jinghang.api.json_response import encode_json
from jinghang.api.services import Services


class FleetListing:
    """The encoded fleet view of one :class:`Services`, rebuilt at most once per tick."""

    def __init__(self, services: Services) -> None:
        self.services = services
        #: Commits seen on the store's engine (any table: cheap and never misses one).
        self.commits = 0
        engine = getattr(services.store, "engine", None)
        self._tracks_commits = engine is not None
        if engine is not None:
            event.listen(engine, "commit", self._count_commit)
        self._body: bytes | None = None
        self._built_at_s = 0.0
        self._built_commits = -1
        self._built_busy: dict[int, str] = {}

    def _count_commit(self, _connection: Any) -> None:
        self.commits += 1

    def tick_s(self) -> float:
        """How long a body may be served: one telemetry tick of the fleet (0: not kept)."""
        fleet = self.services.fleet
        rate_hz = float(getattr(fleet, "telemetry_rate_hz", 0.0) or 0.0)
        if fleet is None or rate_hz <= 0 or not self._tracks_commits:
            return 0.0
        return 1.0 / rate_hz

    def body(self) -> bytes:
        """The fleet view as JSON, at most one telemetry tick old."""
        now_s = time.monotonic()
        busy = register.busy_of(self.services)
        if (
            self._body is not None
            and now_s - self._built_at_s < self.tick_s()
            and self.commits == self._built_commits
            and busy == self._built_busy
        ):
            return self._body
        commits = self.commits  # before the read: a commit during it forces the next rebuild
        body = encode_json(register.fleet_view(self.services, busy))
        self._body, self._built_at_s = body, now_s
        self._built_commits, self._built_busy = commits, busy
        return body


async def fleet_listing(request: Request) -> FleetListing:
    """The app's :class:`FleetListing` (made on first use, kept on ``app.state``; async so
    that FastAPI does not hand it to a worker thread)."""
    state = request.app.state
    listing = getattr(state, "fleet_listing", None)
    if not isinstance(listing, FleetListing):
        listing = FleetListing(state.services)
        state.fleet_listing = listing
    return listing
