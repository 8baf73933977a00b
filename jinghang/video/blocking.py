"""Running blocking PyAV and OpenCV work off the event loop without leaving it orphaned.

``asyncio.to_thread`` returns at cancellation while the thread still runs, so a caller that
then closes a container the thread is using crashes the process. :func:`run_blocking` waits
for the thread's job to end before letting the cancellation through (calling ``on_cancel``
first, so a long job can be told to stop).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
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
