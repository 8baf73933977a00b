"""Leases in JetStream's key-value store on a real nats-server: a drone's link is held by one
worker at a time, and taken by another within 5 s when its holder dies."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
from nats.js.kv import KeyValue

from jinghang.bus.leases import LeaseKeeper, lease_key, open_bucket
from tests.bus.natsserver import NatsServer

HOLDER = """
import asyncio, sys
import nats
from jinghang.bus.leases import LeaseKeeper, open_bucket

async def main():
    nc = await nats.connect(sys.argv[1])
    kv = await open_bucket(nc.jetstream())
    keeper = LeaseKeeper(kv, sys.argv[2], "worker-a",
                         on_acquired=lambda reason: print("held", reason, flush=True))
    await keeper.run()

asyncio.run(main())
"""


@asynccontextmanager
async def bucket(server: NatsServer) -> AsyncIterator[KeyValue]:
    nc = await nats.connect(server.url)
    try:
        yield await open_bucket(nc.jetstream())
    finally:
        await nc.close()


async def test_a_killed_holders_lease_is_taken_within_5_s(nats_server: NatsServer) -> None:
    key = lease_key("link", 7)
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLDER, nats_server.url, key, stdout=asyncio.subprocess.PIPE,
        env=dict(os.environ))
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(holder.stdout.readline(), 20)
        assert line.split() == [b"held", b"free"]
        async with bucket(nats_server) as kv:
            keeper = LeaseKeeper(kv, key, "worker-b")
            task = asyncio.create_task(keeper.run())
            try:
                await asyncio.sleep(4.0)  # longer than the TTL: the holder keeps renewing
                assert not keeper.held
                holder.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                while not keeper.held:
                    assert time.monotonic() - killed_at < 5.0, "not taken within 5 s"
                    await asyncio.sleep(0.05)
                print(f"lease taken {time.monotonic() - killed_at:.2f} s after kill -9")
                entry = await kv.get(key)
                assert b'"worker-b"' in (entry.value or b"")
            finally:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    finally:
        if holder.returncode is None:
            holder.kill()
        await holder.wait()


async def test_contenders_never_both_hold(nats_server: NatsServer) -> None:
    key = lease_key("link", 9)
    conns = [await nats.connect(nats_server.url) for _ in range(3)]
    keepers = [LeaseKeeper(await open_bucket(nc.jetstream()), key, f"worker-{i}", ttl_s=1.0)
               for i, nc in enumerate(conns)]
    tasks = [asyncio.create_task(k.run()) for k in keepers]  # all race for the free key
    holders: list[str] = []
    try:
        start = time.monotonic()
        while time.monotonic() - start < 9.0:
            held = [i for i, k in enumerate(keepers) if k.held]
            assert len(held) <= 1, [keepers[i].holder for i in held]
            if held and (not holders or holders[-1] != keepers[held[0]].holder):
                holders.append(keepers[held[0]].holder)
                if len(holders) == 1:  # the first holder gives the key up
                    tasks[held[0]].cancel()
                elif len(holders) == 2:  # the second loses the bus: it cannot renew
                    await conns[held[0]].close()
            await asyncio.sleep(0.01)
        assert len(set(holders)) == 3, holders
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for nc in conns:
            if not nc.is_closed:
                await nc.close()
