"""Recording each dispatched flight's video, with every segment in the audit trail.

:class:`FlightRecording` follows the ``sortie`` events on the bus: when a sortie's drone is
launching it starts the video gateway's recorder for that drone (``ROOT/<drone>/incident-N``)
and when the sortie ends (landed, aborted, failed) it stops it. Each closed segment's SHA-256
goes into the store's ``recordings`` (chained to the previous segment's hash) and into the
hash-chained audit trail (action ``recording.segment``), which is the chain of custody of the
footage.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from jinghang.api import audit
from jinghang.api.services import Services
from jinghang.errors import VideoError
from jinghang.store.recordings import add_recording, list_recordings
from jinghang.store.schemas import RecordingCreate
from jinghang.supervisor import ComponentState

log = logging.getLogger(__name__)

STARTS = frozenset({"launching"})
ENDS = frozenset({"landed", "aborted", "failed"})


class FlightRecording:
    """Starts and stops the gateway's recorders as incidents fly; run ``run()``."""

    def __init__(self, services: Services, root: Path, segment_duration_s: float = 60.0) -> None:
        self.services = services
        self.root = root
        self.segment_duration_s = segment_duration_s
        #: sortie id -> drone id being recorded for it
        self.recording: dict[int, str] = {}

    async def run(self) -> None:
        async with self.services.bus.subscribe("sortie") as events:
            async for event in events:
                await self._on_incident(event.data)

    async def _on_incident(self, data: dict[str, Any]) -> None:
        sortie_id = data.get("id")
        incident_id = data.get("incident_id")
        state = data.get("state")
        drone_id = data.get("drone_id")
        if data.get("code") != "sortie.state" or not isinstance(sortie_id, int):
            return
        if not isinstance(incident_id, int):
            return
        if state in STARTS and drone_id is not None and sortie_id not in self.recording:
            self._start(sortie_id, incident_id, str(drone_id))
        elif state in ENDS and sortie_id in self.recording:
            drone_id = self.recording.pop(sortie_id)
            gateway = self.services.video_gateway
            if gateway is None:
                return
            try:
                await gateway.stop_recording(drone_id)
            except VideoError as exc:
                log.warning("stopping the recording of drone %s: %s", drone_id, exc.message)

    def _start(self, sortie_id: int, incident_id: int, drone_id: str) -> None:
        gateway = self.services.video_gateway
        if gateway is None or drone_id not in gateway.relays:
            return

        def segment_closed(path: Path, sha256_hex: str, meta: dict[str, Any]) -> None:
            self.segment_closed(incident_id, int(drone_id), path, sha256_hex, meta)

        try:
            recorder = gateway.start_recording(
                drone_id,
                f"incident-{incident_id}",
                self.root,
                segment_closed,
                segment_duration_s=self.segment_duration_s,
            )
        except VideoError as exc:
            log.warning("cannot record drone %s: %s", drone_id, exc.message)
            return
        recorder.on_failed = lambda error: self.failed(incident_id, drone_id, error)
        self.services.supervisor.report(f"recorder {drone_id}", ComponentState.RUNNING)
        self.recording[sortie_id] = drone_id

    def failed(self, incident_id: int, drone_id: str, error: str) -> None:
        """A disk error stopped this flight's recording (the flight goes on): show it in
        health and raise an alert."""
        self.services.supervisor.report(f"recorder {drone_id}", ComponentState.STOPPED,
                                        error=error, announce=False)
        alerts = self.services.alerts
        if alerts is not None:
            alerts.raise_code("recording.failed", {"drone": f"#{drone_id}", "error": error},
                              drone_id=int(drone_id) if drone_id.isdigit() else None,
                              case_id=incident_id)

    def segment_closed(
        self,
        incident_id: int | None,
        drone_id: int,
        path: Path,
        sha256_hex: str,
        meta: dict[str, Any],
    ) -> None:
        """Store the segment with the previous one's hash and put it in the audit trail."""
        services = self.services
        with services.store.read_session() as session:
            earlier = list_recordings(session, drone_id=drone_id, incident_id=incident_id)
        prev = earlier[-1].sha256 if earlier else ""
        start = meta.get("start_time_s")
        end = meta.get("end_time_s")
        with services.store.session() as session:
            add_recording(
                session,
                RecordingCreate(
                    drone_id=drone_id,
                    incident_id=incident_id,
                    segment_path=str(path),
                    sha256=sha256_hex,
                    prev_sha256=prev,
                    size_bytes=int(meta.get("bytes", 0)),
                    started_at=_utc(start),
                    ended_at=_utc(end),
                ),
            )
            session.commit()
        audit.record(
            services,
            actor="recorder",
            action="recording.segment",
            target_type="incident",
            target_id=str(incident_id or ""),
            details={
                "drone_id": drone_id,
                "path": str(path),
                "sha256": sha256_hex,
                "prev_sha256": prev,
                "segment": meta.get("segment"),
                "duration_s": meta.get("duration_s"),
            },
        )


def _utc(seconds: Any) -> dt.datetime | None:
    if not isinstance(seconds, (int, float)):
        return None
    return dt.datetime.fromtimestamp(float(seconds), dt.UTC)
