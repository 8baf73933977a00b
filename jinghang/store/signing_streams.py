"""MAVLink signing stream timestamps in the store, so that replay stays refused across restarts.

A signed frame is accepted only when its timestamp is newer than the last one accepted on its
stream (link id, source system, source component: MAVLink's signing spec), see
:func:`jinghang.mavlink.signing.check_frame`. The fleet keeps that table in memory;
:class:`SigningStreamStore` is its :class:`jinghang.mavlink.signing.StreamStore` in
``jinghang serve``: :meth:`~SigningStreamStore.load` reads the rows once at start (before
any link runs), :meth:`~SigningStreamStore.save` hands the streams that changed since the
last save to the store writer (no database work on the event loop; the fleet calls it every
few seconds and at shutdown), and :meth:`~SigningStreamStore.close` waits for those writes
at shutdown. A stored timestamp only ever grows.
"""

from __future__ import annotations

import logging

from sqlmodel import Session, select

from jinghang.mavlink.signing import StreamKey
from jinghang.store.engine import Store
from jinghang.store.models import SigningStream, utc_now
from jinghang.store.writer import StoreWriter

log = logging.getLogger(__name__)

#: how long shutdown waits for the last timestamps to be committed
CLOSE_TIMEOUT_S = 5.0


def load_streams(session: Session) -> dict[StreamKey, int]:
    """Every stored stream's last timestamp."""
    return {
        (row.link_id, row.source_system, row.source_component): int(row.timestamp)
        for row in session.exec(select(SigningStream))
    }


def save_streams(session: Session, streams: dict[StreamKey, int]) -> None:
    """Store these streams' timestamps (a stored one never goes back)."""
    stored = {
        (row.link_id, row.source_system, row.source_component): row
        for row in session.exec(select(SigningStream))
    }
    now = utc_now()
    for key, timestamp in streams.items():
        row = stored.get(key)
        if row is None:
            link_id, source_system, source_component = key
            session.add(SigningStream(link_id=link_id, source_system=source_system,
                                      source_component=source_component,
                                      timestamp=int(timestamp), updated_at=now))
        elif timestamp > row.timestamp:
            row.timestamp, row.updated_at = int(timestamp), now
            session.add(row)


class SigningStreamStore:
    """The fleet's stream timestamps in the ``signing_streams`` table, written through the
    store writer."""

    def __init__(self, store: Store, writer: StoreWriter) -> None:
        self.store = store
        self.writer = writer
        #: what was last handed to the writer, per stream
        self._handed: dict[StreamKey, int] = {}

    def load(self) -> dict[StreamKey, int]:
        with self.store.read_session() as session:
            streams = load_streams(session)
        self._handed = dict(streams)
        return streams

    def save(self, streams: dict[StreamKey, int]) -> None:
        handed = self._handed
        changed = {key: ts for key, ts in streams.items() if handed.get(key) != ts}
        if not changed:
            return
        handed.update(changed)
        self.writer.post(lambda session: save_streams(session, changed),
                         what=f"signing timestamps of {len(changed)} stream(s)")

    def close(self) -> None:
        if not self.writer.flush(CLOSE_TIMEOUT_S):
            log.error("the last signing timestamps were not committed within %.0f s: a frame "
                      "captured just before this shutdown may be accepted once after it",
                      CLOSE_TIMEOUT_S)
