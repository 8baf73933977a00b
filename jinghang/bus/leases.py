"""Leases in the JetStream key-value store: one worker at a time holds a key (a drone's link).

A holder writes the key and rewrites it every ``ttl_s / 4`` with compare-and-set on the
revision it last wrote. A contender watches the key's revision on its own monotonic clock and
takes the key (compare-and-set on that revision) once it has not changed for ``ttl_s``: the
holder stopped renewing. Two workers never hold one key:

- every write is conditional on the revision, so of two racing writers exactly one succeeds;
- a holder counts itself as holding only until ``ttl_s`` after it *sent* its last successful
  renewal, and a contender's take is sent at least ``ttl_s`` after it *saw* that renewal, so
  the holder has stopped before the contender starts (clocks need only tick at the same rate).

With the default ``ttl_s`` of 3 s and a poll of ``ttl_s / 4``, a key whose holder dies is taken
within ``ttl_s + ttl_s / 4 + ttl_s / 4`` = 4.5 s. Times need no synchronised wall clocks.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

import orjson
from nats.js import JetStreamContext
from nats.js.errors import (
    BucketNotFoundError,
    KeyDeletedError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
)
from nats.js.kv import KeyValue

log = logging.getLogger(__name__)

BUCKET = "jh_leases"
DEFAULT_TTL_S = 3.0
_TTL_RANGE_S = (0.2, 60.0)
Callback = Callable[[str], Awaitable[None] | None]


async def open_bucket(js: JetStreamContext, bucket: str = BUCKET, *,
                      replicas: int = 1) -> KeyValue:
    """The lease bucket, created (one revision per key; unused keys vanish after an hour;
    ``replicas`` copies on a cluster)."""
    try:
        return await js.key_value(bucket)
    except BucketNotFoundError:
        return await js.create_key_value(bucket=bucket, history=1, ttl=3600.0,
                                         description="jinghang leases", replicas=replicas)


def lease_key(kind: str, name: str | int) -> str:
    """The key of one lease, e.g. ``lease_key("link", 7)`` -> ``"link.7"``."""
    return f"{kind}.{name}"


class LeaseKeeper:
    """Holds (or waits to hold) one key for ``holder``; run :meth:`run` as a task.

    ``held`` says whether this worker may act as the key's owner right now. ``on_acquired`` and
    ``on_lost`` are called with the reason (``"free"``, ``"expired"``, ``"renewed"``;
    ``"taken"``, ``"expired"``, ``"released"``).
    """

    def __init__(self, kv: KeyValue, key: str, holder: str, *, ttl_s: float = DEFAULT_TTL_S,
                 on_acquired: Callback | None = None, on_lost: Callback | None = None) -> None:
        low, high = _TTL_RANGE_S
        if not low <= ttl_s <= high:
            raise ValueError(f"ttl_s must be between {low} and {high} s")
        self.kv = kv
        self.key = key
        self.holder = holder
        self.ttl_s = ttl_s
        self.poll_s = ttl_s / 4
        self.on_acquired = on_acquired
        self.on_lost = on_lost
        self.acquired_count = 0
        self._revision: int | None = None  # the revision this worker last wrote
        self._renewed_at = -math.inf  # monotonic time the last successful write was sent
        self._was_held = False
        self._seen_revision: int | None = None
        self._seen_at = 0.0

    @property
    def held(self) -> bool:
        return self._revision is not None and time.monotonic() - self._renewed_at < self.ttl_s

    @property
    def revision(self) -> int | None:
        return self._revision if self.held else None

    def _value(self) -> bytes:
        return orjson.dumps({"v": 1, "holder": self.holder, "ttl_s": self.ttl_s,
                             "time_s": time.time()})

    async def run(self) -> None:
        """Take the key when free and keep it renewed, until cancelled (then released)."""
        try:
            while True:
                try:
                    await self.step()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the server is away: the fence decides
                    log.debug("lease %s for %s: %s: %s", self.key, self.holder,
                              type(exc).__name__, exc)
                await self._notice()
                await asyncio.sleep(self.poll_s)
        except asyncio.CancelledError:
            await asyncio.shield(self.release())
            raise

    async def step(self) -> None:
        """One round: renew what this worker holds, or look at the key and take it if due."""
        if self._revision is not None:
            await self._renew()
        else:
            await self._try_take()

    async def _renew(self) -> None:
        assert self._revision is not None
        sent_at = time.monotonic()
        try:
            self._revision = await self.kv.update(self.key, self._value(), last=self._revision)
        except KeyWrongLastSequenceError:
            self._revision = None
            await self._notice("taken")
            return
        self._renewed_at = sent_at

    async def _try_take(self) -> None:
        try:
            entry = await self.kv.get(self.key)
        except (KeyNotFoundError, KeyDeletedError):
            await self._write(0, "free")
            return
        revision = entry.revision
        if revision != self._seen_revision:
            self._seen_revision, self._seen_at = revision, time.monotonic()
            return
        if time.monotonic() - self._seen_at >= self._declared_ttl_s(entry.value):
            await self._write(revision, "expired")

    async def _write(self, last: int | None, reason: str) -> None:
        sent_at = time.monotonic()
        try:
            if last:
                revision = await self.kv.update(self.key, self._value(), last=last)
            else:
                revision = await self.kv.create(self.key, self._value())
        except KeyWrongLastSequenceError:
            self._seen_revision = None  # another worker was quicker: watch the new holder
            return
        self._revision, self._renewed_at = revision, sent_at
        await self._notice(reason)

    def _declared_ttl_s(self, value: bytes | None) -> float:
        """The holder's TTL from its value (bounded), or ours for a malformed value."""
        try:
            declared = orjson.loads(value or b"")["ttl_s"]
        except (orjson.JSONDecodeError, TypeError, KeyError):
            return self.ttl_s
        if isinstance(declared, bool) or not isinstance(declared, (int, float)):
            return self.ttl_s
        low, high = _TTL_RANGE_S
        return min(high, max(low, float(declared), self.ttl_s))

    async def _notice(self, reason: str | None = None) -> None:
        """Call the callbacks when ``held`` changed since the last notice."""
        now_held = self.held
        if now_held == self._was_held:
            return
        self._was_held = now_held
        if now_held:
            self.acquired_count += 1
            log.info("lease %s held by %s (%s)", self.key, self.holder, reason or "renewed")
            callback = self.on_acquired
        else:
            log.warning("lease %s lost by %s (%s)", self.key, self.holder, reason or "expired")
            callback = self.on_lost
        if callback is not None:
            result = callback(reason or ("renewed" if now_held else "expired"))
            if result is not None:
                await result

    async def release(self) -> None:
        """Give the key up now (a contender takes it at its next poll), if still held."""
        if not self.held:
            return
        revision, self._revision = self._revision, None
        try:
            await self.kv.delete(self.key, last=revision)
        except Exception as exc:  # taken meanwhile or the server is away: the TTL frees it
            log.debug("lease %s not released by %s: %s", self.key, self.holder, exc)
        await self._notice("released")


def live_holder(value: bytes | None, *, now_s: float | None = None) -> str | None:
    """The holder a lease's value names, unless it is older than twice its TTL by the wall
    clock (its holder stopped renewing: dead, or cut off). For a reader that does not
    contend (an API node asking who holds a drone); needs clocks synchronised to well under
    a TTL, which the keepers themselves do not."""
    try:
        lease = orjson.loads(value or b"")
        holder, written_s, ttl_s = lease["holder"], lease["time_s"], lease["ttl_s"]
    except (orjson.JSONDecodeError, TypeError, KeyError):
        return None
    if not isinstance(holder, str) or not all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in (written_s, ttl_s)):
        return None
    now_s = time.time() if now_s is None else now_s
    return holder if now_s - float(written_s) <= 2 * float(ttl_s) else None
