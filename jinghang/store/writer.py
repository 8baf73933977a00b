"""The store writer: one thread that owns the write sessions, so that the event loop that
carries every vehicle's link never waits on the database.

Callers on the loop hand it jobs, each a function ``job(session) -> result`` run in its own
transaction (committed when it returns, rolled back when it raises), strictly in the order
they were handed in::

    writer = StoreWriter(store)
    writer.post(lambda s: append_audit(s, actor="li", action="x"), what="audit x")  # no wait
    mission = await writer.submit(lambda s: create_mission(s, data, created_by="li"))
    writer.flush()          # blocks until every job handed in so far is committed
    writer.close()          # flushes, then stops the thread (the next job starts it again)

Because one thread commits every job in turn, the audit chain's order is the order the jobs
were handed in (and, as ever, the commit order).

Backpressure: ``max_pending`` jobs may wait. :meth:`StoreWriter.submit` waits (on the loop,
without blocking it) until there is room. :meth:`StoreWriter.post` never waits and never
drops a job (audit rows must not be lost): beyond ``max_pending`` it keeps the job, logs a
warning once per backlog, and the writer reports itself failing so that health and the
alerts show it. Bounded loss is for data that may be thinned, such as track samples, and
is the caller's choice (:mod:`jinghang.dispatch.track`).

Failures: a job that fails because the database is busy or unreachable (SQLAlchemy's
``OperationalError``) is tried again with backoff, keeping the order; any other error is
logged and the job dropped (its ``on_error`` and the writer's ``on_dropped`` are called), the
next one runs. Either way the writer's state goes to failing, reported through ``on_state``;
it goes back when a job commits again. Callbacks run on the loop the job came from. The
server (:mod:`jinghang.api.runtime`) shows the state in health and raises a
``component.stopped`` alert for a dropped write.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from jinghang.store.engine import Store

log = logging.getLogger(__name__)

T = TypeVar("T")
Job = Callable[[Session], Any]
#: Called (on the loop) with ``(ok, error text or None)`` when the writer's health changes.
OnState = Callable[[bool, str | None], None]
#: Called (on the loop) with ``(what, error text)`` for each job dropped after an error.
OnDropped = Callable[[str, str], None]

#: Jobs that may wait before :meth:`StoreWriter.submit` waits and :meth:`post` warns.
MAX_PENDING = 1000
#: Backoff of a job that failed on a busy or unreachable database.
RETRY_INITIAL_S = 0.1
RETRY_MAX_S = 5.0
#: How long :meth:`StoreWriter.close` waits for the jobs still queued.
CLOSE_TIMEOUT_S = 30.0


@dataclass
class _Entry:
    job: Job
    what: str
    future: concurrent.futures.Future[Any]
    loop: asyncio.AbstractEventLoop | None
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None
    attempts: int = field(default=0)


class StoreWriter:
    """The single writer thread with its ordered queue; see the module docstring."""

    def __init__(self, store: Store, *, max_pending: int = MAX_PENDING,
                 on_state: OnState | None = None, on_dropped: OnDropped | None = None,
                 name: str = "store-writer") -> None:
        self.store = store
        self.max_pending = max_pending
        self.on_state = on_state
        self.on_dropped = on_dropped
        self.name = name
        self._queue: collections.deque[_Entry] = collections.deque()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._busy = False
        self._room = asyncio.Event()
        self._room_loop: asyncio.AbstractEventLoop | None = None
        self._room_waiters = 0
        self._over = False
        self._ok = True
        #: Jobs committed and failed (dropped) since start, for the log and the benchmark.
        self.committed = 0
        self.failed = 0
        #: Seconds spent in the database, summed over committed jobs.
        self.busy_s = 0.0

    # ------------------------------------------------------------------ handing in jobs

    @property
    def pending(self) -> int:
        """Jobs handed in and not yet committed or dropped."""
        with self._cond:
            return len(self._queue) + (1 if self._busy else 0)

    @property
    def ok(self) -> bool:
        """False from a failed job until the next one commits."""
        return self._ok

    def post(self, job: Job, *, what: str,
             on_done: Callable[[Any], None] | None = None,
             on_error: Callable[[BaseException], None] | None = None
             ) -> concurrent.futures.Future[Any]:
        """Hand in ``job`` without waiting for it (ordered after every job before it).
        ``on_done(result)`` / ``on_error(exc)`` are called on the caller's loop (or in the
        writer thread when there is none). The returned future is for tests and tools."""
        return self._put(job, what, on_done, on_error)

    async def submit(self, job: Callable[[Session], T], *, what: str) -> T:
        """Hand in ``job`` and wait (without blocking the loop) for its result; raises what
        the job raised. Waits for room first when ``max_pending`` jobs are queued."""
        while self.pending >= self.max_pending:
            loop = asyncio.get_running_loop()
            if self._room_loop is not loop:  # an Event belongs to one loop
                self._room, self._room_loop = asyncio.Event(), loop
            self._room.clear()
            self._room_waiters += 1
            try:
                await self._room.wait()
            finally:
                self._room_waiters -= 1
        future = self._put(job, what, None, None)
        return await asyncio.wrap_future(future)  # type: ignore[no-any-return]

    def flush(self, timeout_s: float | None = None) -> bool:
        """Block until every job handed in so far is done; False on timeout. For shutdown,
        tools and tests: on the loop it waits on the database."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        with self._cond:
            while self._queue or self._busy:
                if self._thread is None or not self._thread.is_alive():
                    self._start_locked()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    async def settle(self) -> None:
        """Wait (without blocking the loop) until every job handed in so far is done, so that
        a reader of the store sees them."""
        if self.pending:
            await asyncio.wrap_future(self._put(lambda _s: None, "settle", None, None))

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Commit what is queued (for at most ``timeout_s``), then stop the thread. A job
        handed in later starts it again."""
        done = self.flush(timeout_s)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s if done else 1.0)
        with self._cond:
            left = len(self._queue)
            self._stopping = False
        if left:
            log.error("%s closed with %d writes not committed", self.name, left)

    # ------------------------------------------------------------------ the thread

    def _put(self, job: Job, what: str, on_done: Callable[[Any], None] | None,
             on_error: Callable[[BaseException], None] | None
             ) -> concurrent.futures.Future[Any]:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._cond:
            self._queue.append(_Entry(job, what, future, loop, on_done, on_error))
            backlog = len(self._queue)
            if self._thread is None or not self._thread.is_alive():
                self._start_locked()
            self._cond.notify_all()
        if backlog > self.max_pending and not self._over:
            self._over = True
            log.warning("%s: %d writes waiting (more than %d); none is dropped",
                        self.name, backlog, self.max_pending)
            self._health(False, f"{backlog} writes waiting for the database", loop)
        return future

    def _start_locked(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                entry = self._queue[0]
                self._busy = True
            done = self._execute(entry)
            with self._cond:
                if done:
                    self._queue.popleft()
                self._busy = False
                backlog = len(self._queue)
                stopping = self._stopping
                self._cond.notify_all()
            if done and backlog < self.max_pending:
                self._made_room()
            if not done and stopping:
                # Shutting down on a database that will not take the write: give up on it.
                with self._cond:
                    self._queue.popleft()
                self._fail(entry, RuntimeError("the writer stopped before the write went in"))

    def _execute(self, entry: _Entry) -> bool:
        """Run one job; True when it is done (committed or dropped), False to try again."""
        started_s = time.monotonic()
        try:
            with self.store.transaction() as session:
                result = entry.job(session)
        except OperationalError as exc:
            entry.attempts += 1
            delay_s = min(RETRY_MAX_S, RETRY_INITIAL_S * 2 ** (entry.attempts - 1))
            log.warning("%s: %s failed (%s); trying again in %.1f s", self.name, entry.what,
                        exc.orig if exc.orig is not None else exc, delay_s)
            self._health(False, f"{entry.what}: {type(exc).__name__}: {exc.orig or exc}",
                         entry.loop)
            with self._cond:
                if not self._stopping:
                    self._cond.wait(delay_s)
            return False
        except Exception as exc:  # a bad job must not stop the ones behind it
            log.exception("%s: %s failed; dropped", self.name, entry.what)
            self._fail(entry, exc)
            return True
        self.busy_s += time.monotonic() - started_s
        self.committed += 1
        if not entry.future.done():
            entry.future.set_result(result)
        if entry.on_done is not None:
            self._call(entry.loop, entry.on_done, result)
        if not self._ok or self._over:
            with self._cond:
                backlog = len(self._queue)
            if backlog <= self.max_pending:
                self._over = False
                self._health(True, None, entry.loop)
        return True

    def _fail(self, entry: _Entry, exc: BaseException) -> None:
        self.failed += 1
        error = f"{type(exc).__name__}: {exc}"
        self._health(False, f"{entry.what}: {error}", entry.loop)
        if self.on_dropped is not None:
            self._call(entry.loop, self.on_dropped, entry.what, error)
        if not entry.future.done():
            entry.future.set_exception(exc)
        if entry.on_error is not None:
            self._call(entry.loop, entry.on_error, exc)

    def _made_room(self) -> None:
        loop = self._room_loop
        if self._room_waiters and loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._room.set)

    def _health(self, ok: bool, error: str | None,
                loop: asyncio.AbstractEventLoop | None) -> None:
        if ok == self._ok:
            return
        self._ok = ok
        if self.on_state is not None:
            self._call(loop, self.on_state, ok, error)

    def _call(self, loop: asyncio.AbstractEventLoop | None, fn: Callable[..., Any],
              *args: Any) -> None:
        def guarded() -> None:
            try:
                fn(*args)
            except Exception:  # a callback must not stop the writer or the loop
                log.exception("%s: a callback failed", self.name)

        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(guarded)
                return
            except RuntimeError:  # the loop closed meanwhile
                pass
        guarded()


__all__ = ["MAX_PENDING", "StoreWriter"]
