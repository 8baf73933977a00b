"""The platform as a GB/T 28181 device: ``await Gb28181Device(settings, relays).run()``.

It registers to the platform's SIP server (digest authentication when challenged), refreshes
the registration before it expires, sends a Keepalive MESSAGE every interval (the first
right after registering; three unanswered in a row and it registers afresh), answers
Catalog, DeviceInfo and DeviceStatus queries (every drone of ``relays`` a channel), and
serves INVITEs for a channel by pushing that drone's video (:mod:`.media`) from the ACK to
the BYE. On any loss it waits ``retry_interval_s`` and starts over.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from jinghang.video.gb28181 import manscdp, sdp
from jinghang.video.gb28181.digest import AuthenticationRefused, DigestClient
from jinghang.video.gb28181.ids import channel_ids
from jinghang.video.gb28181.media import MediaPush
from jinghang.video.gb28181.message import SipMessage, param, uri_of, user_of
from jinghang.video.gb28181.settings import Gb28181Settings
from jinghang.video.gb28181.transport import (
    Reply,
    SipTimeout,
    SipTransport,
    new_tag,
    response_to,
)
from jinghang.video.relay import DroneRelay

log = logging.getLogger(__name__)

USER_AGENT = "Jinghang GB28181"
MAX_PUSHES = 32
#: Catalog items per response MESSAGE: one over UDP keeps each under a 1500-byte MTU (RFC 3261
#: §18.1.1 wants larger requests on TCP), more over TCP; SumNum tells the platform the total.
CATALOG_ITEMS_PER_MESSAGE = {"udp": 1, "tcp": 8}
KEEPALIVE_MISSES_ALLOWED = 3
ALLOW = "INVITE, ACK, BYE, CANCEL, MESSAGE, OPTIONS"


class RegistrationFailed(ConnectionError):
    """The platform answered REGISTER with an error."""


@dataclass
class Dialog:
    """One INVITE session: its push and what a BYE from our side needs."""

    call_id: str
    channel_id: str
    push: MediaPush
    #: Our side (the INVITE's To with our tag), theirs (its From) and where a BYE goes.
    local_address: str
    remote_address: str
    remote_target: str
    local_cseq: int = 1
    acked: bool = False


@dataclass
class DeviceStats:
    registrations: int = 0
    keepalives_sent: int = 0
    keepalives_answered: int = 0
    catalogs_answered: int = 0
    invites_answered: int = 0
    byes: int = 0
    last_error: str = ""
    errors: list[str] = field(default_factory=list)


class Gb28181Device:
    """One registration to one platform, serving every drone in ``relays`` as a channel."""

    def __init__(self, settings: Gb28181Settings, relays: Mapping[str, DroneRelay]) -> None:
        self.settings = settings
        self.relays = relays
        self.stats = DeviceStats()
        self.registered = asyncio.Event()
        self.dialogs: dict[str, Dialog] = {}
        self.transport: SipTransport | None = None
        self._digest = DigestClient(settings.device_id, settings.password.get_secret_value())
        self._register_call_id = ""
        self._register_tag = new_tag()
        self._cseq = itertools.count(1)
        self._sn = itertools.count(1)
        self._background: set[asyncio.Future[None]] = set()

    # -- identities ---------------------------------------------------------------------

    @property
    def channels(self) -> dict[str, str]:
        """channel id -> drone id."""
        ids = channel_ids(sorted(self.relays), self.settings.channel_id_prefix)
        return {channel: drone for drone, channel in ids.items()}

    def _local_uri(self) -> str:
        assert self.transport is not None
        return f"sip:{self.settings.device_id}@{self.settings.announced_host}:" \
               f"{self.transport.local_port}"

    def _new_request(self, method: str, uri: str, call_id: str, to: str) -> SipMessage:
        s = self.settings
        request = SipMessage(method=method, uri=uri)
        request.add("From", f"<sip:{s.device_id}@{s.server_domain}>;tag={self._register_tag}")
        request.add("To", to)
        request.add("Call-ID", call_id)
        request.add("CSeq", f"{next(self._cseq)} {method}")
        request.add("Max-Forwards", "70")
        request.add("User-Agent", USER_AGENT)
        return request

    # -- running ------------------------------------------------------------------------

    async def run(self) -> None:
        """Register and serve until cancelled; reconnect and re-register on any loss."""
        while True:
            try:
                try:
                    await self._session()
                except asyncio.CancelledError:
                    await self._unregister()
                    raise
            except* (OSError, SipTimeout, RegistrationFailed, AuthenticationRefused,
                     ValueError) as group:
                for exc in group.exceptions:
                    self._record(f"{type(exc).__name__}: {exc}")
            except* Exception as group:  # a fault of ours must not stop the server
                log.error("GB/T 28181: the device failed; starting over", exc_info=group)
                self._record(f"internal error: {group.exceptions[0]!r}")
            finally:
                self.registered.clear()
                await self._close()
            await asyncio.sleep(self.settings.retry_interval_s)

    async def _unregister(self) -> None:
        """REGISTER with Expires 0 on the way out, so the platform shows the device offline
        at once (best effort, two seconds at most)."""
        if not self.registered.is_set() or self.transport is None:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2.0):
                await self.register(0)
                log.info("GB/T 28181: unregistered from %s", self.settings.server_id)

    def _record(self, reason: str) -> None:
        self.stats.last_error = reason
        self.stats.errors = [*self.stats.errors[-9:], reason]
        log.warning("GB/T 28181: %s", reason)

    async def _close(self) -> None:
        for dialog in list(self.dialogs.values()):
            dialog.push.stop()
        self.dialogs.clear()
        if self.transport is not None:
            await self.transport.close()
            self.transport = None

    async def _session(self) -> None:
        s = self.settings
        self.transport = SipTransport(s.transport, s.local_host, s.local_port, s.server_host,
                                      s.server_port, self._on_request)
        await self.transport.open()
        self._register_call_id = f"{new_tag()}{new_tag()}@{s.announced_host}"
        expires_s = await self.register()
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._refresh_loop(expires_s))
            tasks.create_task(self._keepalive_loop())
            tasks.create_task(self._watch_transport())

    async def _watch_transport(self) -> None:
        assert self.transport is not None
        await self.transport.closed.wait()
        raise ConnectionError("the SIP transport to the platform closed")

    async def register(self, expires_s: int | None = None) -> int:
        """REGISTER (answering a digest challenge); the granted expiry in seconds."""
        assert self.transport is not None
        s = self.settings
        wanted = s.register_expiry_s if expires_s is None else expires_s
        aor = f"<sip:{s.device_id}@{s.server_domain}>"
        uri = f"sip:{s.server_id}@{s.server_domain}"
        for attempt in range(3):
            request = self._new_request("REGISTER", uri, self._register_call_id, aor)
            request.add("Contact", f"<{self._local_uri()}>")
            request.add("Expires", str(wanted))
            credentials = self._digest.credentials("REGISTER", uri)
            if credentials is not None:
                request.add("Authorization", credentials)
            response = await self.transport.request(request)
            if response.code in (401, 407):
                challenge = response.get(
                    "WWW-Authenticate" if response.code == 401 else "Proxy-Authenticate")
                if challenge is None:
                    raise RegistrationFailed(f"{response.code} without a challenge")
                stale = (param(";" + challenge.replace(",", ";"), "stale") or "").lower()
                if credentials is not None and attempt > 0 and stale != "true":
                    raise AuthenticationRefused(
                        "the platform refused our credentials (check gb28181.password and "
                        "gb28181.device_id)", field="gb28181.password")
                self._digest.accept(challenge)
                continue
            if response.code != 200:
                raise RegistrationFailed(f"REGISTER answered {response.code} "
                                         f"{response.phrase}")
            granted = response.expires
            for contact in response.get_all("Contact"):
                value = param(contact, "expires")
                if value and value.isdigit():
                    granted = int(value)
            if wanted > 0:
                self.stats.registrations += 1
                self.registered.set()
                log.info("GB/T 28181: registered to %s as %s for %s s", s.server_id,
                         s.device_id, granted if granted is not None else wanted)
            return wanted if granted is None else granted
        raise AuthenticationRefused("the platform kept challenging our REGISTER",
                                    field="gb28181.password")

    async def _refresh_loop(self, expires_s: int) -> None:
        while True:
            await asyncio.sleep(max(expires_s / 2, expires_s - 60))
            expires_s = await self.register()

    async def _keepalive_loop(self) -> None:
        misses = 0
        while True:
            if await self.send_keepalive():
                misses = 0
            else:
                misses += 1
                if misses >= KEEPALIVE_MISSES_ALLOWED:
                    raise SipTimeout(f"{misses} keepalives in a row unanswered")
            await asyncio.sleep(self.settings.keepalive_interval_s)

    async def send_keepalive(self) -> bool:
        body = manscdp.keepalive(next(self._sn), self.settings.device_id)
        self.stats.keepalives_sent += 1
        try:
            response = await self.send_message(body)
        except SipTimeout:
            return False
        ok = response > 0
        if ok:
            self.stats.keepalives_answered += 1
        return ok

    async def send_message(self, body: bytes) -> int:
        """A MANSCDP MESSAGE to the platform (outside any dialog); its response code."""
        assert self.transport is not None
        s = self.settings
        request = self._new_request(
            "MESSAGE", f"sip:{s.server_id}@{s.server_host}:{s.server_port}",
            f"{new_tag()}{new_tag()}@{s.announced_host}", f"<sip:{s.server_id}@{s.server_domain}>")
        request.add("Content-Type", manscdp.CONTENT_TYPE)
        request.body = body
        response = await self.transport.request(request, timeout_s=min(
            32.0, self.settings.keepalive_interval_s))
        return response.code if response.code < 300 else -response.code

    # -- requests from the platform -----------------------------------------------------

    async def _on_request(self, request: SipMessage, reply: Reply) -> None:
        method = request.method
        if method == "MESSAGE":
            await self._on_message(request, reply)
        elif method == "INVITE":
            await self._on_invite(request, reply)
        elif method == "ACK":
            await self._on_ack(request)
        elif method == "BYE":
            self._on_bye(request, reply)
        elif method == "CANCEL":
            self._on_cancel(request, reply)
        elif method == "OPTIONS":
            response = response_to(request, 200, "OK", new_tag())
            response.add("Allow", ALLOW)
            reply(response)
        else:
            response = response_to(request, 405, "Method Not Allowed", new_tag())
            response.add("Allow", ALLOW)
            reply(response)

    async def _on_message(self, request: SipMessage, reply: Reply) -> None:
        try:
            query = manscdp.parse(request.body)
        except manscdp.BadManscdp as exc:
            reply(response_to(request, 400, str(exc)[:100], new_tag()))
            return
        reply(response_to(request, 200, "OK", new_tag()))
        s = self.settings
        if query.kind != "Query":
            return
        if query.cmd_type == "Catalog":
            self.stats.catalogs_answered += 1
            await self._send_catalog(query.sn)
        elif query.cmd_type == "DeviceInfo":
            await self._send_quietly(manscdp.device_info(
                query.sn, query.device_id or s.device_id, s.device_name, s.manufacturer,
                s.model, "1.0", len(self.relays)))
        elif query.cmd_type == "DeviceStatus":
            drone = self.channels.get(query.device_id)
            online = True if drone is None else self.relays[drone].source.is_open
            await self._send_quietly(manscdp.device_status(
                query.sn, query.device_id or s.device_id, online))
        else:
            log.info("GB/T 28181: query %s not served", query.cmd_type)

    async def _send_catalog(self, sn: str) -> None:
        s = self.settings
        items = [manscdp.Channel(channel, f"UAV {drone}", self.relays[drone].source.is_open)
                 for channel, drone in sorted(self.channels.items())]
        per_message = CATALOG_ITEMS_PER_MESSAGE[s.transport]
        chunks = [items[i:i + per_message] for i in range(0, len(items), per_message)] or [[]]
        for chunk in chunks:
            await self._send_quietly(manscdp.catalog(
                sn, s.device_id, s.device_id[:6], len(items), chunk, s.manufacturer, s.model))

    async def _send_quietly(self, body: bytes) -> None:
        try:
            code = await self.send_message(body)
        except (SipTimeout, ConnectionError) as exc:
            self._record(f"a response MESSAGE was not answered: {exc}")
            return
        if code < 0:
            self._record(f"the platform answered a response MESSAGE with {-code}")

    def _channel_of(self, request: SipMessage) -> str:
        return user_of(request.uri) or user_of(uri_of(request["To"]))

    async def _on_invite(self, request: SipMessage, reply: Reply) -> None:
        local_tag = new_tag()
        if request.call_id in self.dialogs:
            # (a retransmission of the INVITE we answered gets the cached answer from the
            # transport; this is a re-INVITE, which the device does not renegotiate)
            reply(response_to(request, 488, "Not Acceptable Here: session already set up",
                              local_tag))
            return
        channel = self._channel_of(request)
        drone = self.channels.get(channel)
        if drone is None:
            reply(response_to(request, 404, "Not Found", local_tag))
            return
        if len(self.dialogs) >= MAX_PUSHES:
            reply(response_to(request, 486, "Busy Here", local_tag))
            return
        try:
            offer = sdp.parse_offer(request.body)
        except sdp.BadSdp as exc:
            reply(response_to(request, 488, "Not Acceptable Here: " + str(exc)[:80],
                              local_tag))
            return
        reply(response_to(request, 100, "Trying"))
        s = self.settings
        call_id = request.call_id
        push = MediaPush(self.relays[drone], offer, s.local_host,
                         on_lost=lambda: self._hang_up(call_id))
        port = await push.prepare()
        response = response_to(request, 200, "OK", local_tag,
                               sdp.answer(offer, channel, s.announced_host, port),
                               "APPLICATION/SDP")
        contact = request.get("Contact")
        dialog = Dialog(call_id, channel, push, response["To"], request["From"],
                        uri_of(contact) if contact else uri_of(request["From"]))
        self.dialogs[call_id] = dialog
        response.add("Contact", f"<sip:{channel}@{s.announced_host}:"
                                f"{self.transport.local_port if self.transport else 0}>")
        response.add("User-Agent", USER_AGENT)
        reply(response)
        self.stats.invites_answered += 1
        if self.transport is not None and self.transport.kind == "udp":
            await self._resend_until_acked(dialog, response)

    async def _resend_until_acked(self, dialog: Dialog, response: SipMessage) -> None:
        """RFC 3261 §13.3.1.4: the 2xx is resent over UDP until the ACK (or 32 s)."""
        assert self.transport is not None
        data = bytes(response)
        interval_s = 0.5
        waited_s = 0.0
        while not dialog.acked and waited_s < 32.0 and self.dialogs.get(dialog.call_id) is dialog:
            await asyncio.sleep(interval_s)
            waited_s += interval_s
            if dialog.acked or dialog.push.stopped:
                return
            with contextlib.suppress(ConnectionError):
                self.transport.send_raw(data)
            interval_s = min(interval_s * 2, 4.0)
        if not dialog.acked and self.dialogs.get(dialog.call_id) is dialog:
            log.warning("GB/T 28181: no ACK for channel %s; session dropped", dialog.channel_id)
            dialog.push.stop()
            self.dialogs.pop(dialog.call_id, None)

    async def _on_ack(self, request: SipMessage) -> None:
        dialog = self.dialogs.get(request.call_id)
        if dialog is None or dialog.acked:
            return
        dialog.acked = True
        try:
            await dialog.push.start()
        except (OSError, TimeoutError) as exc:
            self._record(f"channel {dialog.channel_id}: media connection failed: {exc}")
            dialog.push.stop()
            self._hang_up(dialog.call_id)

    def _on_bye(self, request: SipMessage, reply: Reply) -> None:
        dialog = self.dialogs.pop(request.call_id, None)
        if dialog is None:
            reply(response_to(request, 481, "Call/Transaction Does Not Exist"))
            return
        dialog.push.stop()
        self.stats.byes += 1
        reply(response_to(request, 200, "OK"))
        log.info("GB/T 28181: channel %s stopped by BYE (%d frames sent)", dialog.channel_id,
                 dialog.push.stats.frames_sent)

    def _on_cancel(self, request: SipMessage, reply: Reply) -> None:
        dialog = self.dialogs.get(request.call_id)
        reply(response_to(request, 200, "OK", new_tag()))
        if dialog is not None and not dialog.acked:
            dialog.push.stop()
            self.dialogs.pop(request.call_id, None)

    def _hang_up(self, call_id: str) -> None:
        """Our own BYE when the media connection is lost (the platform may not notice)."""
        dialog = self.dialogs.pop(call_id, None)
        if dialog is None or self.transport is None:
            return
        transport = self.transport
        dialog.local_cseq += 1
        bye = SipMessage(method="BYE", uri=dialog.remote_target, headers=[
            ("From", dialog.local_address), ("To", dialog.remote_address),
            ("Call-ID", dialog.call_id), ("CSeq", f"{dialog.local_cseq} BYE"),
            ("Max-Forwards", "70"), ("User-Agent", USER_AGENT)])

        async def send() -> None:
            with contextlib.suppress(SipTimeout, ConnectionError):
                await transport.request(bye, timeout_s=8.0)

        task = asyncio.ensure_future(send())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
