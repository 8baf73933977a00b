"""The MAVLink mission protocol for the mission, fence and rally lists.

Upload: MISSION_COUNT, then answer every MISSION_REQUEST_INT or MISSION_REQUEST with the item
asked for (lost, repeated and out-of-order requests are all just answered), until MISSION_ACK.
On a lossy link the vehicle re-requests by itself (ArduPilot every second, cancelling after 8 s
without progress); the upload resends its last item after a few measured round trips of
silence (at least 0.2 s), with ArduPilot also the next one (it takes the item it waits for
unasked: a lost request then costs 0.2 s, not its 1 s re-request timer), and never gives up
while the vehicle is still asking. When the final
ACK is lost, ArduPilot answers the resent last item with MISSION_ACK(ERROR) (the transfer is
closed): the upload then checks the vehicle's count.
Download: MISSION_REQUEST_LIST, MISSION_COUNT, then MISSION_REQUEST_INT for up to
``download_window`` items at once (as MAVProxy keeps several requests in flight), asking
again at once for an item overtaken by a later one (the link keeps order) and for all
missing ones on silence, then MISSION_ACK. Clear: MISSION_CLEAR_ALL until
MISSION_ACK. Every wait is bounded and retried a bounded number of times. ArduPilot keeps
home at sequence 0 of the mission list: ``home_items=1`` adds a placeholder on upload
and strips it on download, so callers only see their own items.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from jinghang.flight.errors import MissionTransferError
from jinghang.flight.expect import Expectations
from jinghang.mavlink.channel import mavlink
from jinghang.mavlink.constants import (
    MAV_MISSION_ACCEPTED,
    MAV_MISSION_ERROR,
    MAV_MISSION_INVALID_SEQUENCE,
)
from jinghang.mavlink.mission_items import decode_item, encode_item, home_item
from jinghang.missions.items import MissionItem, MissionType

DOWNLOAD_WINDOW = 10
#: the shortest wait before an upload resends its last item
MIN_RESEND_S = 0.2


def mission_result_name(result: int) -> str:
    entry = mavlink.enums["MAV_MISSION_RESULT"].get(result)
    return entry.name if entry is not None else str(result)


class MissionProtocol:
    """Transfers lists to and from one vehicle over its link."""

    def __init__(
        self,
        send: Callable[[Any], None],
        expectations: Expectations,
        *,
        target_system: int,
        target_component: int = 1,
        home_items: int = 1,
        item_timeout_s: float = 1.0,
        retries: int = 5,
        home: Callable[[], tuple[float, float, float]] | None = None,
        download_window: int = DOWNLOAD_WINDOW,
        send_ahead: bool = False,
    ) -> None:
        self._send = send
        self._expectations = expectations
        self.target_system = target_system
        self.target_component = target_component
        self.home_items = home_items
        self.item_timeout_s = item_timeout_s
        self.retries = retries
        self._home = home
        self.download_window = max(1, download_window)
        #: on silence, also send the item after the last one (ArduPilot takes the item it
        #: waits for even unasked, so a lost request costs a round trip, not its 1 s timer)
        self.send_ahead = send_ahead

    def _offset(self, mission_type: MissionType) -> int:
        return self.home_items if mission_type == MissionType.MISSION else 0

    def _from_vehicle(self, *kinds: str, mission_type: MissionType) -> Callable[[Any], bool]:
        def match(message: Any) -> bool:
            return (
                message.get_type() in kinds
                and message.get_srcSystem() == self.target_system
                and int(getattr(message, "mission_type", 0)) == int(mission_type)
            )

        return match

    # -- items on the wire (:mod:`jinghang.mavlink.mission_items`) ------------------------

    def _encode_item(self, seq: int, item: MissionItem, mission_type: MissionType) -> Any:
        return encode_item(
            (self.target_system, self.target_component), seq, item, mission_type=mission_type
        )

    def _home_item(self) -> MissionItem:
        return home_item(*(self._home() if self._home is not None else (0.0, 0.0, 0.0)))

    # -- upload --------------------------------------------------------------------------------

    async def upload(
        self, items: Sequence[MissionItem], mission_type: MissionType = MissionType.MISSION
    ) -> None:
        """Replace the vehicle's list with ``items`` (numbered from 0 by the caller)."""
        offset = self._offset(mission_type)
        wire_items = ([self._home_item()] if offset else []) + list(items)
        count = len(wire_items)
        count_message = mavlink.MAVLink_mission_count_message(
            self.target_system, self.target_component, count, int(mission_type)
        )
        predicate = self._from_vehicle(
            "MISSION_REQUEST_INT", "MISSION_REQUEST", "MISSION_ACK", mission_type=mission_type
        )
        give_up_after_s = self.item_timeout_s * (self.retries + 1)
        with self._expectations.watch(predicate) as watch:
            self._send(count_message)
            requested: set[int] = set()
            sent: set[int] = set()  # asked for, or sent ahead
            last_sent: int | None = None
            sent_at_s: float | None = None
            round_trip_s: float | None = None
            silent_s = 0.0
            while True:
                wait_s = self._resend_after(round_trip_s)
                message = await watch.next(wait_s)
                if message is None:
                    silent_s += wait_s
                    if silent_s > give_up_after_s:
                        if count and count - 1 in sent and len(sent) == count:
                            # every item went out; only the final ack may be lost: check
                            if await self.count(mission_type, raw=True) == count:
                                return
                        raise MissionTransferError(
                            f"{mission_type.name.lower()} upload to vehicle "
                            f"{self.target_system} stalled: {len(requested)} of {count} items "
                            f"requested, nothing heard for {give_up_after_s:g} s",
                            field="items",
                            value=count,
                        )
                    sent_at_s = None  # a request after a resend says nothing of the round trip
                    if not requested:
                        self._send(count_message)
                    elif last_sent is not None:
                        self._send(
                            self._encode_item(last_sent, wire_items[last_sent], mission_type)
                        )
                        ahead = last_sent + 1
                        if self.send_ahead and ahead < count:
                            sent.add(ahead)
                            self._send(self._encode_item(ahead, wire_items[ahead], mission_type))
                    continue
                if message.get_type() == "MISSION_ACK":
                    if message.type == MAV_MISSION_ACCEPTED:
                        if count == 0 or requested:
                            return
                        continue  # a stale ack from an earlier transfer
                    if message.type == MAV_MISSION_INVALID_SEQUENCE and requested:
                        # ArduPilot answers an item it did not ask for (our resend crossed
                        # its re-request) with this NAK and keeps the transfer open.
                        continue
                    if message.type == MAV_MISSION_ERROR and count and len(sent) == count:
                        # every item was sent: the transfer closed (its
                        # ACCEPTED was lost) and our resend found no transfer open
                        if await self.count(mission_type, raw=True) == count:
                            return
                    raise MissionTransferError(
                        f"vehicle {self.target_system} refused the "
                        f"{mission_type.name.lower()} upload: {mission_result_name(message.type)}",
                        field="items",
                        value=count,
                        result=int(message.type),
                        result_name=mission_result_name(message.type),
                    )
                seq = int(message.seq)
                if not 0 <= seq < count:
                    continue
                silent_s = 0.0  # the vehicle is still asking: never give up on it
                now_s = time.monotonic()
                if sent_at_s is not None and seq not in requested:
                    sample_s = now_s - sent_at_s
                    round_trip_s = (
                        sample_s if round_trip_s is None else 0.8 * round_trip_s + 0.2 * sample_s
                    )
                requested.add(seq)
                sent.add(seq)
                last_sent = seq
                sent_at_s = now_s
                self._send(self._encode_item(seq, wire_items[seq], mission_type))

    def _resend_after(self, round_trip_s: float | None) -> float:
        """How long to wait for the next request before resending our last item: a few
        round trips once one is measured (a lost item is then resent well before the
        vehicle's own re-request), never longer than ``item_timeout_s``."""
        if round_trip_s is None:
            return self.item_timeout_s
        return min(self.item_timeout_s, max(MIN_RESEND_S, 4.0 * round_trip_s))

    # -- download ------------------------------------------------------------------------------

    async def count(
        self, mission_type: MissionType = MissionType.MISSION, *, raw: bool = False
    ) -> int:
        """The number of items on the vehicle (without ArduPilot's home unless ``raw``)."""
        request = mavlink.MAVLink_mission_request_list_message(
            self.target_system, self.target_component, int(mission_type)
        )
        with self._expectations.watch(
            self._from_vehicle("MISSION_COUNT", mission_type=mission_type)
        ) as watch:
            for _ in range(self.retries + 1):
                self._send(request)
                message = await watch.next(self.item_timeout_s)
                if message is not None:
                    total = int(message.count)
                    return total if raw else max(0, total - self._offset(mission_type))
        raise MissionTransferError(
            f"vehicle {self.target_system} did not answer MISSION_REQUEST_LIST for the "
            f"{mission_type.name.lower()} list",
            field="timeout_s",
            value=self.item_timeout_s,
        )

    async def download(self, mission_type: MissionType = MissionType.MISSION) -> list[MissionItem]:
        """The vehicle's list, numbered from 0 (ArduPilot's home removed)."""
        total = await self.count(mission_type, raw=True)
        received: dict[int, MissionItem] = {}
        with self._expectations.watch(
            self._from_vehicle("MISSION_ITEM_INT", "MISSION_ITEM", mission_type=mission_type)
        ) as watch:
            next_seq = 0
            #: seq -> (the order it was last asked in, when)
            asked: dict[int, tuple[int, float]] = {}
            order = 0
            round_trip_s: float | None = None
            silent_s = 0.0
            give_up_after_s = self.item_timeout_s * (self.retries + 1)

            def ask(seq: int) -> None:
                nonlocal order
                order += 1
                asked[seq] = (order, time.monotonic())
                self._send(
                    mavlink.MAVLink_mission_request_int_message(
                        self.target_system, self.target_component, seq, int(mission_type)
                    )
                )

            while len(received) < total:
                while len(asked) < self.download_window and next_seq < total:
                    ask(next_seq)
                    next_seq += 1
                wait_s = self._resend_after(round_trip_s)
                message = await watch.next(wait_s)
                if message is None:
                    silent_s += wait_s
                    if silent_s > give_up_after_s:
                        missing = min(asked) if asked else next_seq
                        raise MissionTransferError(
                            f"{mission_type.name.lower()} download from vehicle "
                            f"{self.target_system} stalled at item {missing} of {total}",
                            field="seq",
                            value=missing,
                            limit=total,
                        )
                    for seq in sorted(asked):
                        ask(seq)
                    continue
                seq = int(message.seq)
                if seq not in asked:
                    continue  # a duplicate answer
                silent_s = 0.0
                answered, asked_s = asked.pop(seq)
                received[seq] = decode_item(message, mission_type)
                sample_s = time.monotonic() - asked_s
                round_trip_s = (
                    sample_s if round_trip_s is None else 0.8 * round_trip_s + 0.2 * sample_s
                )
                # the link keeps order: an item asked for before this one and still missing
                # was lost (its request or its answer); ask again now, not after a silence
                for other in sorted(s for s, (n, _) in asked.items() if n < answered):
                    ask(other)
        self._send(
            mavlink.MAVLink_mission_ack_message(
                self.target_system, self.target_component, MAV_MISSION_ACCEPTED, int(mission_type)
            )
        )
        items = [received[seq] for seq in range(total)]
        return items[self._offset(mission_type):]

    # -- clear and set current ---------------------------------------------------------------

    async def clear(self, mission_type: MissionType = MissionType.MISSION) -> None:
        message = mavlink.MAVLink_mission_clear_all_message(
            self.target_system, self.target_component, int(mission_type)
        )
        with self._expectations.watch(
            self._from_vehicle("MISSION_ACK", mission_type=mission_type)
        ) as watch:
            for _ in range(self.retries + 1):
                self._send(message)
                ack = await watch.next(self.item_timeout_s)
                if ack is None:
                    continue
                if ack.type == MAV_MISSION_ACCEPTED:
                    return
                raise MissionTransferError(
                    f"vehicle {self.target_system} refused to clear the "
                    f"{mission_type.name.lower()} list: {mission_result_name(ack.type)}",
                    result=int(ack.type),
                )
        raise MissionTransferError(
            f"vehicle {self.target_system} did not acknowledge MISSION_CLEAR_ALL",
            field="timeout_s",
            value=self.item_timeout_s,
        )

    async def set_current(self, seq: int) -> None:
        """Make item ``seq`` (caller numbering) current; confirmed by MISSION_CURRENT."""
        if seq < 0:
            raise MissionTransferError("seq must be 0 or more", field="seq", value=seq, limit=0)
        wire_seq = seq + self.home_items

        def match(message: Any) -> bool:
            return (
                message.get_type() == "MISSION_CURRENT"
                and message.get_srcSystem() == self.target_system
                and int(message.seq) == wire_seq
            )

        with self._expectations.watch(match) as watch:
            for _ in range(self.retries + 1):
                self._send(
                    mavlink.MAVLink_mission_set_current_message(
                        self.target_system, self.target_component, wire_seq
                    )
                )
                if await watch.next(self.item_timeout_s) is not None:
                    return
        raise MissionTransferError(
            f"vehicle {self.target_system} did not confirm mission item {seq} as current",
            field="seq",
            value=seq,
        )
