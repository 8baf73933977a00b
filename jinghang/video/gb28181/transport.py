"""SIP over UDP or TCP between this device and its platform: messages (:mod:`.message`),
framing on TCP (Content-Length), client transactions (a request and
its final response, matched by Via branch and CSeq method, retransmitted over UDP with
RFC 3261's timers A/E), and answers to retransmitted requests from a small cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Literal

from jinghang.video.gb28181.message import BadMessage, SipMessage, param, parse

log = logging.getLogger(__name__)

T1_S = 0.5
T2_S = 4.0
TRANSACTION_TIMEOUT_S = 32.0  # 64 * T1
MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 64 * 1024
_CACHED_RESPONSES = 64

Kind = Literal["udp", "tcp"]
Reply = Callable[[SipMessage], None]
RequestHandler = Callable[[SipMessage, Reply], Awaitable[None] | None]


class SipTimeout(TimeoutError):
    """No final response to a request within the transaction timeout."""


def new_branch() -> str:
    return "z9hG4bK" + secrets.token_hex(8)


def new_tag() -> str:
    return secrets.token_hex(6)


def response_to(request: SipMessage, code: int, phrase: str, to_tag: str | None = None,
                body: bytes = b"", content_type: str | None = None) -> SipMessage:
    """A response with the request's Via, From, To (tagged), Call-ID and CSeq."""
    response = SipMessage(code=code, phrase=phrase, body=body)
    for via in request.get_all("Via"):
        response.add("Via", via)
    response.add("From", request["From"])
    to = request["To"]
    if to_tag is not None and param(to, "tag") is None and code > 100:
        to += f";tag={to_tag}"
    response.add("To", to)
    response.add("Call-ID", request.call_id)
    response.add("CSeq", request["CSeq"])
    if content_type is not None:
        response.add("Content-Type", content_type)
    return response


def _frame_length(buffer: bytes | bytearray) -> int | None:
    """The length of the first whole message in a TCP buffer, or None until it is whole."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_HEADER_BYTES:
            raise ValueError("SIP headers over the limit")
        return None
    length = 0
    for line in bytes(buffer[:end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"content-length", b"l"):
            length = int(value.strip())
    if not 0 <= length <= MAX_BODY_BYTES:
        raise ValueError("SIP body over the limit")
    total = end + 4 + length
    return total if len(buffer) >= total else None


class SipTransport:
    """The device's SIP socket to one platform (UDP, or one TCP connection it opens)."""

    def __init__(self, kind: Kind, local_host: str, local_port: int, remote_host: str,
                 remote_port: int, on_request: RequestHandler) -> None:
        self.kind = kind
        self.local_host = local_host
        self.local_port = local_port
        self.remote = (remote_host, remote_port)
        self.on_request = on_request
        self.closed = asyncio.Event()
        self._udp: asyncio.DatagramTransport | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._pending: dict[tuple[str, str], asyncio.Future[SipMessage]] = {}
        self._answered: OrderedDict[tuple[str, str, int], bytes] = OrderedDict()
        self._handlers: set[asyncio.Task[None]] = set()

    # -- opening and closing ------------------------------------------------------------

    async def open(self) -> None:
        loop = asyncio.get_running_loop()
        if self.kind == "udp":
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(self), local_addr=(self.local_host, self.local_port))
            self._udp = transport
            self.local_port = int(transport.get_extra_info("sockname")[1])
        else:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                *self.remote, local_addr=(self.local_host, self.local_port) if self.local_port
                else None), TRANSACTION_TIMEOUT_S / 4)
            self._writer = writer
            self.local_port = int(writer.get_extra_info("sockname")[1])
            self._reader_task = asyncio.create_task(self._read_stream(reader))
        self.closed.clear()

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await self._writer.wait_closed()
            self._writer = None
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
            self._reader_task = None
        for task in list(self._handlers):
            task.cancel()
        self._fail_pending()
        self.closed.set()

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(ConnectionError("the SIP transport closed"))
        self._pending.clear()

    # -- sending ------------------------------------------------------------------------

    @property
    def via_transport(self) -> str:
        return self.kind.upper()

    def via(self, branch: str) -> str:
        return (f"SIP/2.0/{self.via_transport} {self.local_host}:{self.local_port}"
                f";rport;branch={branch}")

    def _send(self, data: bytes, address: tuple[str, int] | None = None) -> None:
        if self._udp is not None:
            self._udp.sendto(data, address or self.remote)
        elif self._writer is not None and not self._writer.is_closing():
            self._writer.write(data)
        else:
            raise ConnectionError("the SIP transport is not open")

    async def request(self, request: SipMessage, timeout_s: float = TRANSACTION_TIMEOUT_S
                      ) -> SipMessage:
        """Send a request (its Via is set here) and return its final response."""
        branch = new_branch()
        request.headers = [("Via", self.via(branch))] + [
            (k, v) for k, v in request.headers if k.lower() != "via"]
        key = (branch, request.cseq[1])
        future: asyncio.Future[SipMessage] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        data = bytes(request)
        try:
            self._send(data)
            async with asyncio.timeout(timeout_s):
                interval_s = T1_S
                while True:
                    if self.kind == "tcp":
                        return await future
                    try:
                        return await asyncio.wait_for(asyncio.shield(future), interval_s)
                    except TimeoutError:
                        self._send(data)
                        interval_s = min(interval_s * 2, T2_S)
        except TimeoutError:
            raise SipTimeout(f"no answer to {request.method} from the platform within "
                             f"{timeout_s:g} s") from None
        finally:
            self._pending.pop(key, None)

    def reply_sender(self, request: SipMessage, address: tuple[str, int] | None) -> Reply:
        """A function sending a response to ``request`` (remembered for retransmissions)."""
        key = self._request_key(request)

        def reply(response: SipMessage) -> None:
            data = bytes(response)
            if response.code >= 200:
                self._answered[key] = data
                while len(self._answered) > _CACHED_RESPONSES:
                    self._answered.popitem(last=False)
            with contextlib.suppress(ConnectionError):
                self._send(data, address)

        return reply

    def send_raw(self, data: bytes, address: tuple[str, int] | None = None) -> None:
        self._send(data, address)

    # -- receiving ----------------------------------------------------------------------

    @staticmethod
    def _request_key(request: SipMessage) -> tuple[str, str, int]:
        return (request.branch or request.call_id, request.method, request.cseq[0])

    def handle(self, data: bytes, address: tuple[str, int] | None) -> None:
        if not data.strip():
            return  # CRLF keepalive
        try:
            message = parse(data)
        except BadMessage as exc:
            log.warning("GB/T 28181: ignored a message from %s: %s", address, exc)
            return
        if not message.is_request:
            future = self._pending.get((message.branch, message.cseq[1]))
            if future is not None and not future.done() and message.code >= 200:
                future.set_result(message)
            return
        key = self._request_key(message)
        if key in self._answered and message.method != "ACK":
            with contextlib.suppress(ConnectionError):
                self._send(self._answered[key], address)
            return
        result = self.on_request(message, self.reply_sender(message, address))
        if result is not None:
            task = asyncio.ensure_future(result)
            self._handlers.add(task)
            task.add_done_callback(self._handler_done)

    def _handler_done(self, task: asyncio.Task[None]) -> None:
        self._handlers.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("GB/T 28181: a request handler failed", exc_info=task.exception())

    async def _read_stream(self, reader: asyncio.StreamReader) -> None:
        buffer = bytearray()
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    break
                buffer += chunk
                while True:
                    stripped = len(buffer) - len(buffer.lstrip(b"\r\n"))
                    del buffer[:stripped]
                    length = _frame_length(buffer)
                    if length is None:
                        break
                    message, buffer = bytes(buffer[:length]), buffer[length:]
                    self.handle(message, None)
        except (OSError, ValueError) as exc:
            log.warning("GB/T 28181: SIP connection to %s:%d lost: %s", *self.remote, exc)
        finally:
            self._fail_pending()
            self.closed.set()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: SipTransport) -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) <= MAX_HEADER_BYTES + MAX_BODY_BYTES:
            self.owner.handle(data, addr)

    def error_received(self, exc: Exception) -> None:
        log.debug("GB/T 28181: SIP datagram error: %s", exc)


