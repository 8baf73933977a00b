"""A bounded pool of worker processes for CPU-heavy work, so that the event loop carrying
MAVLink, the dispatcher and every request never waits on a plan compilation, a preview, a file
parse or a password hash.

``await run_cpu(fn, *args, timeout_s=...)`` runs ``fn(*args)`` in a worker process (``fn`` and
the arguments must be picklable: module-level functions, plain data) and returns its result or
re-raises its exception. It is bounded three ways, all from :class:`jinghang.limits.Limits`:

- ``worker_processes`` processes (started by a fork server, never by forking the threaded
  server process);
- at most ``worker_processes + worker_queue`` jobs in flight: beyond, :class:`WorkersBusyError`
  (503 with ``Retry-After``);
- ``timeout_s`` (default ``cpu_timeout_s``) of wall-clock per job, queueing included: beyond,
  :class:`WorkTimeoutError` (504). The worker stops the job itself (an interval timer raises in
  it), so a slow job does not keep holding a process after its request has been answered.

The pool is one per server process, created on first use or by :func:`using_workers` (the
app's lifespan holds it: the workers start before the first request and stop with the app).
A worker also stops by itself when the server process is gone (killed, say), so no worker
outlives the server.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any, TypeVar

from jinghang.errors import JinghangError
from jinghang.limits import DEFAULT_LIMITS, Limits

T = TypeVar("T")

#: Modules the fork server imports once, so that each worker starts warm.
_PRELOAD = ["jinghang.missions.compile", "jinghang.missions.safety", "jinghang.missions.formats"]


class WorkTimeoutError(JinghangError):
    """A CPU job ran past its time limit and was stopped."""

    code = "work.timeout"
    status_code = 504
    title = "Took too long"


class WorkersBusyError(JinghangError):
    """Every worker is busy and the queue is full; retry in a moment."""

    code = "work.busy"
    status_code = 503
    title = "Server busy"


#: How often a worker checks that the server process is still there.
_WATCH_S = 1.0


def _init_worker(server_pid: int) -> None:
    # Ctrl-C reaches the whole process group: the server shuts the pool down, not the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_exit_without_server, args=(server_pid,), name="watch-server", daemon=True
    ).start()


def _exit_without_server(server_pid: int) -> None:
    """In a worker: leave at once when the server process has gone (killed, crashed)."""
    while True:
        time.sleep(_WATCH_S)
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:
            pass


def _call_with_time_limit(fn: Callable[..., T], args: tuple[Any, ...], timeout_s: float) -> T:
    """Run in a worker: ``fn(*args)``, interrupted by a timer after ``timeout_s``."""

    def on_alarm(_signum: int, _frame: FrameType | None) -> None:
        raise WorkTimeoutError(
            f"the job ran past its time limit of {timeout_s:g} s and was stopped",
            code="cpu_timeout",
            limit=f"{timeout_s:g} s",
        )

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return fn(*args)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0.0)
        signal.signal(signal.SIGALRM, previous)


def _warm() -> int:
    return 0


class WorkerPool:
    """Worker processes with a bound on jobs in flight and a time limit per job."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.capacity = limits.worker_processes + limits.worker_queue
        self._lock = threading.Lock()
        self._in_flight = 0
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return ProcessPoolExecutor(
            max_workers=self.limits.worker_processes,
            mp_context=context,
            initializer=_init_worker,
            initargs=(os.getpid(),),
        )

    @property
    def in_flight(self) -> int:
        """Jobs queued or running now."""
        return self._in_flight

    async def start(self) -> None:
        """Start every worker process now rather than on the first requests."""
        loop = asyncio.get_running_loop()
        await asyncio.gather(
            *(
                loop.run_in_executor(self._executor, _warm)
                for _ in range(self.limits.worker_processes)
            )
        )

    async def run(self, fn: Callable[..., T], *args: Any, timeout_s: float | None = None) -> T:
        """``fn(*args)`` in a worker; 503 when the pool is full, 504 past ``timeout_s``."""
        limit_s = self.limits.cpu_timeout_s if timeout_s is None else timeout_s
        with self._lock:
            if self._in_flight >= self.capacity:
                raise WorkersBusyError(
                    "every worker is busy; retry in a moment",
                    code="workers_busy",
                    limit=self.capacity,
                    retry_after_s=1,
                )
            self._in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            executor = self._executor
            job = loop.run_in_executor(executor, _call_with_time_limit, fn, args, limit_s)
            try:
                # A little grace over the worker's own timer, which normally fires first.
                return await asyncio.wait_for(job, limit_s + 0.5)
            except TimeoutError:
                raise WorkTimeoutError(
                    f"the job did not finish within {limit_s:g} s",
                    code="cpu_timeout",
                    limit=f"{limit_s:g} s",
                ) from None
            except BrokenProcessPool:
                self._replace(executor)
                raise WorkersBusyError(
                    "a worker process died; retry in a moment",
                    code="workers_restarted",
                    retry_after_s=1,
                ) from None
        finally:
            with self._lock:
                self._in_flight -= 1

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is broken:
                self._executor = self._new_executor()
        broken.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop the workers (jobs not started are cancelled)."""
        self._executor.shutdown(wait=True, cancel_futures=True)


_pool: WorkerPool | None = None
_pool_users = 0
_pool_lock = threading.Lock()


def worker_pool(limits: Limits | None = None) -> WorkerPool:
    """The process's pool, created with ``limits`` (or the defaults) on first use."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = WorkerPool(limits or DEFAULT_LIMITS)
        return _pool


@asynccontextmanager
async def using_workers(limits: Limits) -> AsyncIterator[WorkerPool]:
    """The process's pool (created with ``limits`` unless it exists), its workers started;
    when the last user leaves, the workers are stopped and the pool is dropped."""
    global _pool, _pool_users
    pool = worker_pool(limits)
    with _pool_lock:
        _pool_users += 1
    try:
        await pool.start()
        yield pool
    finally:
        with _pool_lock:
            _pool_users -= 1
            last = _pool_users == 0 and _pool is pool
            if last:
                _pool = None
        if last:
            await asyncio.to_thread(pool.shutdown)


async def run_cpu(fn: Callable[..., T], *args: Any, timeout_s: float | None = None) -> T:
    """Run ``fn(*args)`` in the worker pool; see the module docstring for the bounds."""
    return await worker_pool().run(fn, *args, timeout_s=timeout_s)
