"""Links and routing: which link a system id speaks on, and forwarding to extra endpoints.

A :class:`Link` is a transport plus its channel; every message it parses goes to the router.
The router hands vehicle traffic to the fleet and copies it to every forward endpoint
(a pilot's QGroundControl or MAVProxy), and passes what those endpoints send back to the link
of the vehicle they address, re-signing it when that link signs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from jinghang.flight.channel import Channel, MAVLinkMessage
from jinghang.flight.transport import Transport

MAV_TYPE_GCS = 6


class Link:
    """One transport with its MAVLink channel."""

    def __init__(
        self,
        transport: Transport,
        channel: Channel,
        on_message: Callable[[Link, MAVLinkMessage], None],
    ) -> None:
        self.transport = transport
        self.channel = channel
        self.name = transport.name
        self._on_message = on_message
        self.last_error: str | None = None

    @property
    def connected(self) -> bool:
        return self.transport.connected

    async def run(self) -> None:
        await self.transport.run(self._on_bytes)

    def _on_bytes(self, data: bytes) -> None:
        for message in self.channel.parse(data):
            self._on_message(self, message)

    def send(self, message: MAVLinkMessage) -> None:
        self.transport.send(self.channel.encode(message))

    def relay(self, message: MAVLinkMessage) -> None:
        """Pass on a message from another system unchanged (re-signed if this link signs)."""
        if self.channel.signed:
            mav = self.channel.mav
            own = mav.srcSystem, mav.srcComponent
            mav.srcSystem, mav.srcComponent = message.get_srcSystem(), message.get_srcComponent()
            try:
                self.transport.send(self.channel.encode(message))
            finally:
                mav.srcSystem, mav.srcComponent = own
        else:
            self.transport.send(bytes(message.get_msgbuf()))


class Forward:
    """An extra endpoint that sees one vehicle's traffic (or every vehicle's) and may command it."""

    def __init__(self, link: Link, system_id: int | None) -> None:
        self.link = link
        self.system_id = system_id
        self.messages_out = 0
        self.messages_in = 0

    def wants(self, system_id: int) -> bool:
        return self.system_id is None or self.system_id == system_id


def target_system_of(message: MAVLinkMessage) -> int:
    return int(getattr(message, "target_system", 0) or 0)


class Router:
    """Moves messages between vehicle links, the fleet and forward endpoints."""

    def __init__(self, deliver: Callable[[Link, MAVLinkMessage], None]) -> None:
        self._deliver = deliver
        self.links: list[Link] = []
        self.forwards: list[Forward] = []
        #: system id -> the link it was last heard on
        self.routes: dict[int, Link] = {}
        self.tasks: dict[Link, asyncio.Task[None]] = {}

    def from_vehicle_link(self, link: Link, message: MAVLinkMessage) -> None:
        system_id = message.get_srcSystem()
        if message.get_type() != "HEARTBEAT" or message.type != MAV_TYPE_GCS:
            self.routes[system_id] = link
        for forward in self.forwards:
            if forward.wants(system_id):
                forward.messages_out += 1
                forward.link.relay(message)
        self._deliver(link, message)

    def from_forward(self, forward: Forward, message: MAVLinkMessage) -> None:
        target = target_system_of(message)
        if forward.system_id is not None and target not in (0, forward.system_id):
            return
        forward.messages_in += 1
        if target and target in self.routes:
            self.routes[target].relay(message)
            return
        wanted = {
            link
            for system_id, link in self.routes.items()
            if forward.system_id is None or system_id == forward.system_id
        }
        for link in wanted:
            link.relay(message)

    def link_of(self, system_id: int) -> Link | None:
        return self.routes.get(system_id)

    @staticmethod
    def describe(message: MAVLinkMessage) -> dict[str, Any]:
        return {"type": message.get_type(), "system_id": message.get_srcSystem()}
