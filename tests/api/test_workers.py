"""The CPU worker pool with real worker processes: results and errors come back whole, a full
pool refuses at once (503 with Retry-After), a job past its limit is stopped (504), and a
worker that dies is replaced."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

from jinghang.api.workers import WorkerPool, WorkersBusyError, WorkTimeoutError
from jinghang.limits import Limits
from jinghang.missions.errors import InputError


def slow_square(x: int, seconds: float) -> int:
    time.sleep(seconds)
    return x * x


def refuse(value: int) -> None:
    raise InputError("too many", field="area", value=value, limit=10, code="too_many")


def spin() -> None:
    while True:
        pass


def die() -> None:
    os._exit(3)


async def test_results_and_errors_cross_the_process_boundary() -> None:
    pool = WorkerPool(Limits(worker_processes=1))
    try:
        assert await pool.run(slow_square, 7, 0.0) == 49
        with pytest.raises(InputError) as caught:
            await pool.run(refuse, 11)
        assert caught.value.field == "area" and caught.value.value == 11
        assert caught.value.code == "too_many" and caught.value.details == {}
    finally:
        pool.shutdown()


async def test_a_full_pool_refuses_at_once_and_frees_its_slots() -> None:
    pool = WorkerPool(Limits(worker_processes=1, worker_queue=1))
    try:
        busy = [asyncio.create_task(pool.run(slow_square, i, 0.5)) for i in range(2)]
        await asyncio.sleep(0.05)
        with pytest.raises(WorkersBusyError) as caught:
            await pool.run(slow_square, 3, 0.0)
        assert caught.value.status_code == 503
        assert caught.value.details["retry_after_s"] == 1
        assert [await b for b in busy] == [0, 1]
        assert pool.in_flight == 0
        assert await pool.run(slow_square, 3, 0.0) == 9
    finally:
        pool.shutdown()


async def test_a_job_past_its_limit_is_stopped_and_the_worker_serves_again() -> None:
    pool = WorkerPool(Limits(worker_processes=1))
    try:
        with pytest.raises(WorkTimeoutError) as caught:
            await pool.run(spin, timeout_s=0.3)
        assert caught.value.status_code == 504
        assert await pool.run(slow_square, 4, 0.0, timeout_s=5) == 16
    finally:
        pool.shutdown()


async def test_a_dead_worker_is_replaced() -> None:
    pool = WorkerPool(Limits(worker_processes=1))
    try:
        with pytest.raises(WorkersBusyError):
            await pool.run(die)
        assert await pool.run(slow_square, 5, 0.0) == 25
    finally:
        pool.shutdown()
