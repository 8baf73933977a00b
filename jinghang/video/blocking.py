"""Running blocking PyAV and OpenCV work off the event loop without leaving it orphaned.

``asyncio.to_thread`` returns at cancellation while the thread still runs, so a caller that
then closes a container the thread is using crashes the process. :func:`run_blocking` waits
for the thread's job to end before letting the cancellation through (calling ``on_cancel``
first, so a long job can be told to stop).

Short jobs (a frame to encode, a batch to mux) use the loop's default executor. A job that
lasts as long as its component (a source's reader) gets its own thread from
:func:`run_in_own_thread`: the default executor has only ``min(32, cores + 4)`` workers, and
long jobs there would starve each other and every short job.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def run_blocking(
    func: Callable[P, T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run ``func`` in the default executor; on cancellation, wait for it, then re-raise."""
    return await run_blocking_with_cancel(None, func, *args, **kwargs)


async def run_blocking_with_cancel(
    on_cancel: Callable[[], None] | None,
    func: Callable[P, T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(context.run, func, *args, **kwargs)
    future = loop.run_in_executor(None, call)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if on_cancel is not None:
            on_cancel()
        await asyncio.wait([future])
        raise


async def run_in_own_thread(
    on_cancel: Callable[[], None] | None,
    name: str,
    func: Callable[P, T],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """Run a long ``func`` in a dedicated thread; on cancellation call ``on_cancel``, wait
    for the thread to end, then re-raise."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def target() -> None:
        try:
            result = func(*args, **kwargs)
        except BaseException as exc:  # handed to the awaiting task, not lost
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if on_cancel is not None:
            on_cancel()
        await asyncio.wait([future])
        raise
