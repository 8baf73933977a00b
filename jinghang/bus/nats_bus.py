"""An event bus with the interface of :class:`jinghang.events.EventBus`, carried by NATS.

``publish(topic, data)`` delivers to this node's subscribers at once (as the in-process bus
does) and sends the event to every other node: durable topics (see :mod:`jinghang.bus.subjects`)
through JetStream, telemetry on core NATS. Each node reads the durable streams through its own
durable pull consumer (named after the node), so a node that was down gets, when it comes back,
what was published meanwhile (subscribe before :meth:`NatsBus.start` to receive it), unless
it was away for more than a day. Order is kept within a stream, not across streams. Locally,
a slow subscriber loses its oldest events, counted in ``dropped``, as on the in-process bus.

What it does when the server is unreachable (the client reconnects by itself, forever):

- durable events wait in a bounded outbox (``durable_outbox_max``) and are resent in order until
  JetStream acknowledges them (their id is JetStream's ``Nats-Msg-Id``: a resend is stored
  once). The outage is logged when it begins and ends and shown in :meth:`NatsBus.status`.
  When the outbox is full ``publish`` raises :class:`BusUnavailable`: a command is refused
  loudly, never dropped silently. :meth:`NatsBus.publish_acked` waits for the acknowledgement.
- telemetry is perishable: while disconnected it is not sent, and when more than
  ``durable_outbox_max`` wait the oldest go (both counted in ``dropped_core``).

Messages from the bus that do not decode are skipped, counted by reason in ``refused`` and
logged; a durable one is terminated so that it is not redelivered.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    DiscardPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.errors import (
    BadRequestError,
    BucketNotFoundError,
    NoStreamResponseError,
    NotFoundError,
)
from nats.js.kv import KeyValue

from jinghang.bus.subjects import (
    CORE_SUBJECTS,
    MAX_MESSAGE_BYTES,
    STREAMS,
    Envelope,
    Refused,
    StreamSpec,
    decode,
    route_for,
    subject_for,
)
from jinghang.events import Event, EventBus

log = logging.getLogger(__name__)

_NODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,48}$")
PUBLISH_TIMEOUT_S = 2.0
RETRY_S = 0.25
FETCH_BATCH = 256
FETCH_TIMEOUT_S = 1.0
CONSUMER_IDLE_S = 24 * 3600.0
"""A node away longer than this loses its consumer (and backlog): it starts afresh."""


class BusUnavailable(RuntimeError):
    """A durable event could not be queued or acknowledged; ``code`` is stable for clients."""

    code = "bus.unavailable"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.params = params


@dataclass(slots=True)
class _Outgoing:
    subject: str
    payload: bytes
    msg_id: str
    acked: asyncio.Future[None] | None = None


class NatsBus(EventBus):
    """The event bus of one node of a multi-node deployment (``node`` names it, uniquely)."""

    def __init__(self, servers: str | list[str], *, node: str, max_queue: int = 1000,
                 durable_outbox_max: int = 10_000, consume: bool = True,
                 streams: tuple[StreamSpec, ...] = STREAMS, replicas: int = 1) -> None:
        if not _NODE_RE.match(node):
            raise ValueError("node must be 1-48 letters, digits, '-' or '_'")
        super().__init__(max_queue)
        self.servers = [servers] if isinstance(servers, str) else list(servers)
        self.node = node
        self.consume = consume
        self.streams = streams
        #: JetStream replicas of the streams and buckets this node creates (1-5; 3 on a
        #: cluster of three keeps them through the loss of one server).
        self.replicas = replicas
        self.durable_outbox_max = durable_outbox_max
        self.refused: Counter[str] = Counter()
        self.received = 0
        self.published_core = 0
        self.published_durable = 0
        self.dropped_core = 0
        self.reconnects = 0
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._outbox: deque[_Outgoing] = deque()
        self._in_flight: _Outgoing | None = None
        self._outbox_wake = asyncio.Event()
        self._core_out: deque[_Outgoing] = deque()
        self._core_out_max = max(1, durable_outbox_max)
        self._core_wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._outage_since: float | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect, create the streams and this node's consumers, start sending and reading.

        Raises what ``nats.connect`` raises when no server answers at all; after the first
        connection the client reconnects by itself.
        """
        self._nc = await nats.connect(
            servers=self.servers, name=self.node, allow_reconnect=True,
            max_reconnect_attempts=-1, reconnect_time_wait=RETRY_S, connect_timeout=2,
            ping_interval=5, max_outstanding_pings=2,
            error_cb=self._on_error, disconnected_cb=self._on_disconnected,
            reconnected_cb=self._on_reconnected)
        self._js = self._nc.jetstream(timeout=PUBLISH_TIMEOUT_S)
        await self._ensure_streams()
        self._tasks.append(asyncio.create_task(self._send_durable(), name="bus-durable-out"))
        self._tasks.append(asyncio.create_task(self._send_core(), name="bus-core-out"))
        if self.consume:
            for subject in CORE_SUBJECTS:
                await self._nc.subscribe(subject, cb=self._on_core)
            for spec in self.streams:
                self._tasks.append(asyncio.create_task(self._read_stream(spec),
                                                       name=f"bus-in-{spec.name}"))

    async def close(self, *, flush_timeout_s: float = 2.0) -> None:
        """Send what is queued (for up to ``flush_timeout_s``), then disconnect."""
        if self._tasks:
            try:
                await asyncio.wait_for(self._idle.wait(), flush_timeout_s)
            except TimeoutError:
                pass
        if self._outbox:
            log.warning("bus %s closing with %d durable events unsent", self.node,
                        len(self._outbox))
        # nats-py's fetch can swallow a cancellation: the readers stop at their next poll
        self._closing = True
        readers = [t for t in self._tasks if t.get_name().startswith("bus-in-")]
        if readers:
            await asyncio.wait(readers, timeout=FETCH_TIMEOUT_S + PUBLISH_TIMEOUT_S)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await asyncio.wait_for(task, PUBLISH_TIMEOUT_S)
            except (asyncio.CancelledError, TimeoutError):
                pass
        self._tasks.clear()
        if self._nc is not None and not self._nc.is_closed:
            try:
                await self._nc.close()
            except (ConnectionError, OSError) as exc:  # the server went away meanwhile
                log.debug("bus %s closed on a lost connection: %s", self.node, exc)

    async def __aenter__(self) -> NatsBus:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ publishing

    def publish(self, topic: str, data: dict[str, Any]) -> Event:
        """Deliver to local subscribers and send to the other nodes (see the module doc).

        Raises :class:`ValueError` for an event too large for the bus or a topic that cannot
        be a subject, :class:`BusUnavailable` when a durable event finds the outbox full; in
        both cases nothing was delivered.
        """
        event, _ = self._queue_out(topic, data, want_ack=False)
        return event

    async def publish_acked(self, topic: str, data: dict[str, Any], *,
                            timeout_s: float = 5.0) -> Event:
        """Publish a durable event and wait until JetStream has stored it.

        If it is not stored within ``timeout_s`` and has not been sent yet, it is withdrawn
        from the outbox and :class:`BusUnavailable` is raised with ``withdrawn=True`` (the
        other nodes will never see it); ``withdrawn=False`` means it was being sent and may
        still arrive (once). Local subscribers have it either way.
        """
        if not route_for(topic).durable:
            raise ValueError(f"topic {topic!r} is not durable")
        event, out = self._queue_out(topic, data, want_ack=True)
        assert out is not None and out.acked is not None
        try:
            await asyncio.wait_for(asyncio.shield(out.acked), timeout_s)
        except TimeoutError:
            withdrawn = out in self._outbox
            if withdrawn:
                self._outbox.remove(out)
            raise BusUnavailable(f"the bus did not store {topic!r} within {timeout_s} s",
                                 topic=topic, timeout_s=timeout_s, withdrawn=withdrawn) from None
        return event

    def _queue_out(self, topic: str, data: dict[str, Any], *,
                   want_ack: bool) -> tuple[Event, _Outgoing | None]:
        route = route_for(topic)
        subject = subject_for(topic, data)
        event = Event(topic, data)
        envelope = Envelope(topic, data, event.time_s, self.node, uuid.uuid4().hex)
        payload = envelope.encode()
        out = _Outgoing(subject, payload, envelope.id)
        if route.durable:
            if self._durable_pending() >= self.durable_outbox_max:
                raise BusUnavailable(
                    f"{len(self._outbox)} durable events wait for the bus; {topic!r} refused",
                    topic=topic, pending=self._durable_pending())
            if want_ack:
                out.acked = asyncio.get_running_loop().create_future()
            self._outbox.append(out)
            self._idle.clear()
            self._outbox_wake.set()
        elif self.connected:
            if len(self._core_out) >= self._core_out_max:
                self._core_out.popleft()
                self.dropped_core += 1
            self._core_out.append(out)
            self._core_wake.set()
        else:
            self.dropped_core += 1  # perishable: not kept for after the outage
        self.deliver(event)
        return event, (out if route.durable else None)

    def _durable_pending(self) -> int:
        return len(self._outbox) + (self._in_flight is not None)

    async def _send_core(self) -> None:
        while True:
            if not self._core_out:
                self._core_wake.clear()
                await self._core_wake.wait()
                continue
            out = self._core_out.popleft()
            try:
                assert self._nc is not None
                await self._nc.publish(out.subject, out.payload)
                self.published_core += 1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # disconnected meanwhile, or the client's buffer is full
                self.dropped_core += 1
                log.debug("bus %s: not sent on %s: %s", self.node, out.subject, exc)

    async def _send_durable(self) -> None:
        """Send the outbox in order; an event stays in it (withdrawable) until handed over."""
        while True:
            if not self._outbox:
                self._idle.set()
                self._outbox_wake.clear()
                await self._outbox_wake.wait()
                continue
            if not self.connected:  # nothing is handed to the client's reconnect buffer
                self._outage(ConnectionError("not connected to NATS"))
                await asyncio.sleep(RETRY_S)
                continue
            out = self._outbox.popleft()
            self._in_flight = out
            try:
                assert self._js is not None
                await self._js.publish(out.subject, out.payload, timeout=PUBLISH_TIMEOUT_S,
                                       headers={"Nats-Msg-Id": out.msg_id})
            except asyncio.CancelledError:
                self._outbox.appendleft(out)  # unsent as far as we know: close() reports it
                raise
            except Exception as exc:  # resent later under the same id: stored once
                self._outbox.appendleft(out)
                self._outage(exc)
                if isinstance(exc, NoStreamResponseError | NotFoundError):
                    await self._try_ensure_streams()
                await asyncio.sleep(RETRY_S)
                continue
            finally:
                self._in_flight = None
            self.published_durable += 1
            if out.acked is not None and not out.acked.done():
                out.acked.set_result(None)
            if self._outage_since is not None:
                log.warning("bus %s: JetStream reachable again after %.1f s; %d queued",
                            self.node, time.monotonic() - self._outage_since, len(self._outbox))
                self._outage_since = None

    def _outage(self, exc: BaseException) -> None:
        if self._outage_since is None:
            self._outage_since = time.monotonic()
            log.warning("bus %s: JetStream unreachable (%s: %s); durable events wait in the "
                        "outbox (%d, at most %d)", self.node, type(exc).__name__, exc,
                        len(self._outbox) + 1, self.durable_outbox_max)

    # ------------------------------------------------------------------ receiving

    def _receive(self, subject: str, payload: bytes) -> bool:
        """Deliver one message from the bus locally; False if it was refused."""
        try:
            envelope = decode(subject, payload)
        except Refused as refusal:
            self.refused[refusal.code] += 1
            count = self.refused[refusal.code]
            if count <= 10 or count % 1000 == 0:
                log.warning("bus %s refused a message on %s (%s, %d so far): %s", self.node,
                            subject[:120], refusal.code, count, refusal.detail)
            return False
        if envelope.origin != self.node:
            self.received += 1
            self.deliver(Event(envelope.topic, envelope.data, envelope.time_s))
        return True

    async def _on_core(self, msg: Msg) -> None:
        self._receive(msg.subject, msg.data)

    async def _read_stream(self, spec: StreamSpec) -> None:
        durable = f"{self.node}-{spec.name}"
        psub: JetStreamContext.PullSubscription | None = None
        while not self._closing:
            try:
                if psub is None:
                    psub = await self._bind(spec, durable)
                try:
                    msgs = await psub.fetch(FETCH_BATCH, timeout=FETCH_TIMEOUT_S)
                except nats.errors.TimeoutError:
                    continue
                for msg in msgs:
                    if self._receive(msg.subject, msg.data):
                        await msg.ack()
                    else:
                        await msg.term()
            except asyncio.CancelledError:
                raise
            except NotFoundError:
                psub = None  # the consumer (or the server's storage) is gone: recreate it
                await asyncio.sleep(RETRY_S)
            except Exception as exc:
                log.debug("bus %s reading %s: %s: %s", self.node, spec.name,
                          type(exc).__name__, exc)
                await asyncio.sleep(RETRY_S)

    async def _bind(self, spec: StreamSpec, durable: str) -> JetStreamContext.PullSubscription:
        assert self._js is not None
        config = ConsumerConfig(durable_name=durable, ack_policy=AckPolicy.EXPLICIT,
                                deliver_policy=DeliverPolicy.NEW, max_ack_pending=10_000,
                                ack_wait=30.0, inactive_threshold=CONSUMER_IDLE_S)
        try:
            await self._js.consumer_info(spec.name, durable)
        except NotFoundError:
            await self._try_ensure_streams()
            await self._js.add_consumer(spec.name, config)
        return await self._js.pull_subscribe_bind(durable=durable, stream=spec.name)

    # ------------------------------------------------------------------ for the roles

    async def listen(self, subject: str,
                     handler: Callable[[Envelope], Awaitable[None]]) -> None:
        """Hand every valid envelope on core ``subject`` (wildcards allowed) to ``handler``,
        including this node's own; refusals are counted as for the bus's own reading. Durable
        subjects are seen too (JetStream stores what core subscribers also get), but only
        while connected: a role that must not miss one reads the stream instead."""
        if self._nc is None:
            raise RuntimeError("start the bus first")

        async def on_msg(msg: Msg) -> None:
            try:
                envelope = decode(msg.subject, msg.data)
            except Refused as refusal:
                self.refused[refusal.code] += 1
                return
            await handler(envelope)

        await self._nc.subscribe(subject, cb=on_msg)

    @property
    def js(self) -> JetStreamContext:
        """The JetStream context (after :meth:`start`), for the roles' key-value buckets."""
        if self._js is None:
            raise RuntimeError("start the bus first")
        return self._js

    async def key_value(self, bucket: str, *, ttl_s: float = 3600.0) -> KeyValue:
        """The JetStream key-value bucket ``bucket``, created if missing (one revision)."""
        if self._js is None:
            raise RuntimeError("start the bus first")
        try:
            return await self._js.key_value(bucket)
        except BucketNotFoundError:
            return await self._js.create_key_value(bucket=bucket, history=1, ttl=ttl_s,
                                                   replicas=self.replicas)

    # ------------------------------------------------------------------ streams

    async def _ensure_streams(self) -> None:
        assert self._js is not None
        for spec in self.streams:
            config = StreamConfig(
                name=spec.name, subjects=list(spec.subjects), max_age=spec.max_age_s,
                max_msgs=spec.max_msgs, max_bytes=spec.max_bytes, discard=DiscardPolicy.OLD,
                storage=StorageType.FILE, duplicate_window=spec.duplicate_window_s,
                max_msg_size=MAX_MESSAGE_BYTES, num_replicas=self.replicas)
            try:
                await self._js.add_stream(config)
            except BadRequestError:  # it exists with other limits: these win
                await self._js.update_stream(config)

    async def _try_ensure_streams(self) -> None:
        try:
            await self._ensure_streams()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.debug("bus %s: streams not ensured yet: %s", self.node, exc)

    # ------------------------------------------------------------------ connection events

    async def _on_error(self, exc: Exception) -> None:
        log.debug("bus %s: %s: %s", self.node, type(exc).__name__, exc)

    async def _on_disconnected(self) -> None:
        if self._closing:
            return
        log.warning("bus %s disconnected from NATS; reconnecting", self.node)

    async def _on_reconnected(self) -> None:
        self.reconnects += 1
        url = self._nc.connected_url if self._nc is not None else None
        log.warning("bus %s reconnected to %s", self.node, url.netloc if url else "?")

    # ------------------------------------------------------------------ introspection

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    def status(self) -> dict[str, Any]:
        """Counters for a health view: connection, outbox, traffic, refusals, local drops."""
        return {
            "node": self.node,
            "connected": self.connected,
            "reconnects": self.reconnects,
            "durable_pending": self._durable_pending(),
            "durable_outage_s": (None if self._outage_since is None
                                 else round(time.monotonic() - self._outage_since, 3)),
            "published_durable": self.published_durable,
            "published_core": self.published_core,
            "dropped_core": self.dropped_core,
            "received": self.received,
            "refused": dict(self.refused),
            "subscriber_dropped": self.subscriber_dropped,
        }
