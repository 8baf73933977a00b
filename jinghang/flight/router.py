"""Links and routing: which link a system id speaks on, and forwarding to extra endpoints.

A :class:`Link` is a transport plus its channel; every message it parses goes to the router.
The router judges vehicle traffic by link trust (:mod:`jinghang.flight.trust`), hands it to the
fleet and copies trusted traffic to every forward endpoint (a pilot's QGroundControl or
MAVProxy), and passes what those endpoints send back to the link and peer of the vehicle they
address, re-signing it when that link signs; a forward never passes key management
(:data:`NEVER_FROM_FORWARDS`: SETUP_SIGNING would give the drone a key of the sender's choice,
or switch its signing off, re-signed by us with its current key). With per-drone signing keys
every frame is signed with the key of the drone it goes to (the drone the register names for
the link, peer and system id, so two drones both speaking system 1 have two keys), broadcasts
included (:meth:`Router.broadcast`: one copy per drone bound to a link, so that differently
keyed drones sharing a ``udpin:`` link each accept theirs).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from jinghang.flight.transport import Transport
from jinghang.flight.trust import Binding, LinkTrust, Verdict
from jinghang.mavlink.channel import Channel, MAVLinkMessage
from jinghang.mavlink.constants import MAV_TYPE_GCS

OnMessage = Callable[["Link", MAVLinkMessage, Any], bool]

#: Message types a forward endpoint may not send to a drone (counted in ``Forward.refused``).
NEVER_FROM_FORWARDS = frozenset({"SETUP_SIGNING"})


class Link:
    """One transport with its MAVLink channel.

    ``on_message(link, message, peer)`` gets every parsed message with the UDP peer it came
    from (None on other transports) and answers whether it was accepted; on a listening UDP
    transport only a peer that sent an accepted frame is admitted as a peer to send to.
    """

    def __init__(self, transport: Transport, channel: Channel, on_message: OnMessage) -> None:
        self.transport = transport
        self.channel = channel
        self.name = transport.name
        self._on_message = on_message
        self.last_error: str | None = None
        self._admit = getattr(transport, "admit", None)

    @property
    def connected(self) -> bool:
        return self.transport.connected

    async def run(self) -> None:
        await self.transport.run(self._on_bytes)

    def _on_bytes(self, data: bytes) -> None:
        if self._admit is None:
            for message in self.channel.parse(data):
                self._on_message(self, message, None)
            return
        peer = getattr(self.transport, "current_peer", None)
        accepted = False
        for message in self.channel.parse_datagram(data, peer):
            accepted = self._on_message(self, message, peer) or accepted
        if accepted and peer is not None:
            self._admit(peer)

    @property
    def listens(self) -> bool:
        """True for a listening UDP link (its peers are whoever proved themselves)."""
        return self._admit is not None

    def send(self, message: MAVLinkMessage, peer: Any = None, *, signer: int = 0) -> None:
        """Send to every peer of the link, or with ``peer`` to that UDP peer only; with
        per-drone keys it is signed with the key of the drone that is system id ``signer``
        (0: the target's) at that peer on this link."""
        self._write(self.channel.encode(message, signer=signer, peer=peer), peer)

    def _write(self, data: bytes, peer: Any) -> None:
        if peer is None:
            self.transport.send(data)
            return
        send_to = getattr(self.transport, "send_to", None)
        if send_to is not None:
            send_to(data, peer)

    def relay(self, message: MAVLinkMessage, peer: Any = None, *, signer: int = 0) -> None:
        """Pass on a message from another system unchanged (re-signed if this link signs,
        with per-drone keys by ``signer``'s key as :meth:`send`)."""
        if self.channel.signed:
            mav = self.channel.mav
            own = mav.srcSystem, mav.srcComponent
            mav.srcSystem, mav.srcComponent = message.get_srcSystem(), message.get_srcComponent()
            try:
                self._write(self.channel.encode(message, signer=signer, peer=peer), peer)
            finally:
                mav.srcSystem, mav.srcComponent = own
        else:
            self._write(bytes(message.get_msgbuf()), peer)


class Forward:
    """An extra endpoint that sees one vehicle's traffic (or every vehicle's) and may command it.

    ``system_id`` is the vehicle's id: its system id, or with system ids per link the
    register's vehicle id."""

    def __init__(self, link: Link, system_id: int | None) -> None:
        self.link = link
        self.system_id = system_id
        self.messages_out = 0
        self.messages_in = 0
        self.refused = 0

    def wants(self, system_id: int) -> bool:
        return self.system_id is None or self.system_id == system_id


def target_system_of(message: MAVLinkMessage) -> int:
    return int(getattr(message, "target_system", 0) or 0)


class Router:
    """Moves messages between vehicle links, the fleet and forward endpoints.

    Every message from a vehicle link is judged by :class:`LinkTrust`: only trusted traffic
    reaches the fleet and the forwards; commands for a system id (the fleet's and the
    forwards') go only to the link and peer it is bound to.
    """

    def __init__(
        self,
        deliver: Callable[[Link, MAVLinkMessage, Verdict, Binding | None], None],
        trust: LinkTrust,
    ) -> None:
        self._deliver = deliver
        self.trust = trust
        self.links: list[Link] = []
        self.forwards: list[Forward] = []
        self.tasks: dict[Link, asyncio.Task[None]] = {}

    def from_vehicle_link(self, link: Link, message: MAVLinkMessage, peer: Any) -> bool:
        if message.get_type() == "HEARTBEAT" and message.type == MAV_TYPE_GCS:
            return False  # another ground station on the link: not a vehicle
        # the frame's own flag first: most frames are unsigned, and ``verifies`` is a lookup
        signed = bool(getattr(message, "_signed", False)) and link.channel.verifies
        verdict, binding = self.trust.judge(link, peer, message, signed=signed)
        trusted = verdict is Verdict.TRUSTED
        if trusted and self.forwards and binding is not None:
            vehicle_id = binding.vehicle_id  # the system id unless ids are per link
            for forward in self.forwards:
                if forward.wants(vehicle_id):
                    forward.messages_out += 1
                    forward.link.relay(message)
        self._deliver(link, message, verdict, binding)
        return trusted

    def from_forward(self, forward: Forward, message: MAVLinkMessage) -> None:
        if message.get_type() in NEVER_FROM_FORWARDS:
            forward.refused += 1
            return
        target = target_system_of(message)
        if self.trust.identify is not None:
            self._from_forward_per_link(forward, message, target)
            return
        if forward.system_id is not None and target not in (0, forward.system_id):
            return
        forward.messages_in += 1
        bindings = self.trust.bindings
        if target:
            binding = bindings.get(target)
            if binding is not None:
                binding.link.relay(message, binding.peer, signer=binding.system_id)
            return
        for system_id, binding in list(bindings.items()):
            if forward.system_id is None or system_id == forward.system_id:
                binding.link.relay(message, binding.peer, signer=binding.system_id)

    def _from_forward_per_link(
        self, forward: Forward, message: MAVLinkMessage, target: int
    ) -> None:
        """With system ids per link a target system id names no one drone: a forward passes
        commands back only when it was added for one vehicle (``system_id`` is then its
        vehicle id), and only those addressed to that drone's system id (or to all)."""
        if forward.system_id is None:
            return
        binding = self.trust.binding(forward.system_id)
        if binding is None or target not in (0, binding.system_id):
            return
        forward.messages_in += 1
        binding.link.relay(message, binding.peer, signer=binding.system_id)

    def link_of(self, vehicle_id: int) -> Link | None:
        binding = self.trust.binding(vehicle_id)
        return None if binding is None else binding.link

    def send_to(self, vehicle_id: int, message: MAVLinkMessage) -> bool:
        """Send to the source the vehicle (its system id unless ids are per link) is bound
        to; False when it has none."""
        binding = self.trust.binding(vehicle_id)
        if binding is None:
            return False
        binding.link.send(message, binding.peer, signer=binding.system_id)
        return True

    def broadcast(self, message: MAVLinkMessage) -> None:
        """Send a message for every system (the platform's heartbeat) on every vehicle link.

        A link that signs per drone gets one copy per drone bound to it, sent to that
        drone's source (its UDP peer) and signed with that drone's key, so that every drone
        on a shared ``udpin:`` link accepts it; a UDP peer with no drone bound gets nothing.
        Other links get one copy for all their peers."""
        bound: dict[Link, list[Binding]] = {}
        for binding in self.trust.bindings.values():
            bound.setdefault(binding.link, []).append(binding)
        for link in self.links:
            if not link.channel.per_drone:
                link.send(message)
                continue
            bindings = bound.get(link)
            if bindings is None:
                if not link.listens:  # a stream link with no drone proved yet: as before
                    link.send(message)
                continue
            for binding in bindings:
                link.send(message, binding.peer, signer=binding.system_id)

    @staticmethod
    def describe(message: MAVLinkMessage) -> dict[str, Any]:
        return {"type": message.get_type(), "system_id": message.get_srcSystem()}
