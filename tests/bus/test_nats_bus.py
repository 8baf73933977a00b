"""Two NatsBus nodes on a real nats-server: events cross, durable ones survive absence and
restarts, hostile messages are refused and counted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import nats
import orjson
import pytest

from jinghang.bus.nats_bus import BusUnavailable, NatsBus
from jinghang.bus.subjects import ROUTES, STREAMS, Envelope
from jinghang.events import Event, Subscription
from tests.bus.natsserver import NatsServer


@asynccontextmanager
async def node(server: NatsServer, name: str, **kwargs: object) -> AsyncIterator[NatsBus]:
    bus = NatsBus(server.url, node=name, **kwargs)  # type: ignore[arg-type]
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()


async def next_event(sub: Subscription, timeout_s: float = 10.0) -> Event:
    return await asyncio.wait_for(sub.get(), timeout_s)


async def until(predicate, timeout_s: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


def test_every_durable_topic_has_exactly_one_stream() -> None:
    from fnmatch import fnmatch

    for route in ROUTES.values():
        subject = route.wildcard.replace("*", "7")
        owners = [s.name for s in STREAMS
                  if any(fnmatch(subject, p.replace(">", "*")) for p in s.subjects)]
        assert len(owners) == (1 if route.durable else 0), (route.topic, owners)


async def test_two_nodes_see_each_others_events(nats_server: NatsServer) -> None:
    async with node(nats_server, "link-1") as a, node(nats_server, "api-1") as b:
        async with a.subscribe() as sub_a, b.subscribe("telemetry", "incident") as sub_b:
            await asyncio.sleep(0.3)  # the consumers are bound
            a.publish("telemetry", {"drone_id": 7, "lat_deg": 31.2})
            got = await next_event(sub_b)
            assert (got.topic, got.data["drone_id"]) == ("telemetry", 7)

            b.publish("incident", {"id": 12, "state": "dispatched", "from_state": "open"})
            got = await next_event(sub_a)
            assert got.topic == "telemetry"  # its own, delivered locally at once
            got = await next_event(sub_a)
            assert (got.topic, got.data["id"], got.data["state"]) == ("incident", 12,
                                                                       "dispatched")
            got = await next_event(sub_b)  # b's own incident, locally, exactly once
            assert got.topic == "incident"
            await asyncio.sleep(0.5)
            assert sub_a.queue.empty() and sub_b.queue.empty()


async def test_a_node_that_was_away_gets_the_durable_events_it_missed(
        nats_server: NatsServer) -> None:
    async with node(nats_server, "core-1") as core:
        async with node(nats_server, "api-1") as api, api.subscribe("sortie") as sub:
            await asyncio.sleep(0.3)
            core.publish("sortie", {"code": "sortie.state", "id": 1, "incident_id": 3,
                                    "state": "en_route", "from_state": "planned"})
            assert (await next_event(sub)).data["state"] == "en_route"
        # api-1 is down: what happens now must reach it when it comes back
        core.publish("sortie", {"code": "sortie.state", "id": 1, "incident_id": 3,
                                "state": "on_scene", "from_state": "en_route"})
        core.publish("telemetry", {"drone_id": 4})  # perishable: not kept for it
        core.publish("alert", {"code": "alert.low_battery", "message": "drone 4: 18 %"})
        await core.close()  # flushed into JetStream
    api = NatsBus(nats_server.url, node="api-1")
    async with api.subscribe() as sub:
        await api.start()
        try:
            # in order within a stream; the state and alert streams are read side by side
            got = {(await next_event(sub)).data["code"], (await next_event(sub)).data["code"]}
            assert got == {"sortie.state", "alert.low_battery"}
            await asyncio.sleep(0.5)
            assert sub.queue.empty()
        finally:
            await api.close()


async def test_traffic_resumes_after_the_server_restarts(nats_server: NatsServer) -> None:
    async with node(nats_server, "link-1") as a, node(nats_server, "api-1") as b:
        async with b.subscribe("telemetry", "command") as sub:
            await asyncio.sleep(0.3)
            a.publish("telemetry", {"drone_id": 1})
            assert (await next_event(sub)).topic == "telemetry"

            nats_server.stop()
            await until(lambda: not a.connected and not b.connected)
            result = {"drone_id": 1, "command": "rtl", "actor": "officer7", "params": {},
                      "result": "ACCEPTED"}
            a.publish("command", result)  # waits in a's outbox, in order
            a.publish("telemetry", {"drone_id": 1})  # dropped: perishable
            await asyncio.sleep(1.0)
            status = a.status()
            assert status["durable_pending"] == 1 and status["durable_outage_s"] is not None
            assert status["dropped_core"] >= 1

            nats_server.start()
            got = await next_event(sub, timeout_s=20)
            assert (got.topic, got.data["command"], got.data["actor"]) == ("command", "rtl",
                                                                           "officer7")
            await until(lambda: a.connected and b.connected)
            await until(lambda: a.status()["durable_pending"] == 0)
            assert a.reconnects >= 1 and b.reconnects >= 1

            for _ in range(100):  # the core subscription is back too
                a.publish("telemetry", {"drone_id": 2})
                try:
                    got = await asyncio.wait_for(sub.get(), 0.2)
                except TimeoutError:
                    continue
                assert got.data["drone_id"] == 2
                break
            else:
                raise AssertionError("no telemetry after the restart")
            await asyncio.sleep(0.5)
            while not sub.queue.empty():  # nothing arrived twice
                assert sub.queue.get_nowait().topic == "telemetry"


async def test_a_command_is_refused_not_dropped_when_the_bus_cannot_take_it(
        nats_server: NatsServer) -> None:
    async with node(nats_server, "link-1", durable_outbox_max=2) as a, \
            node(nats_server, "core-1") as core, core.subscribe("command") as sub:
        await asyncio.sleep(0.3)
        nats_server.stop()
        await until(lambda: not a.connected)
        with pytest.raises(BusUnavailable) as waited:
            await a.publish_acked("command", {"drone_id": 3, "command": "land",
                                              "actor": "u1", "params": {}, "result": None},
                                  timeout_s=0.5)
        assert waited.value.params["withdrawn"] is True  # never sent: nobody will act on it
        a.publish("command", {"drone_id": 3, "command": "hold", "actor": "u1", "params": {},
                              "result": None})
        pending = a.status()["durable_pending"]
        with pytest.raises(BusUnavailable) as full:
            for _ in range(3):
                a.publish("command", {"drone_id": 3, "command": "rtl", "actor": "u1",
                                      "params": {}, "result": None})
        assert full.value.code == "bus.unavailable"
        assert a.status()["durable_pending"] == 2 == pending + 1
        nats_server.start()
        await until(lambda: a.status()["durable_pending"] == 0, timeout_s=20)
        # what was accepted arrives, once each; what was refused or withdrawn never does
        got = [(await next_event(sub)).data["command"] for _ in range(2)]
        assert got == ["hold", "rtl"]
        await asyncio.sleep(0.5)
        assert sub.queue.empty()


async def test_malformed_messages_are_counted_and_skipped(nats_server: NatsServer) -> None:
    async with node(nats_server, "api-1") as bus, bus.subscribe() as sub:
        await asyncio.sleep(0.3)
        raw = await nats.connect(nats_server.url)
        js = raw.jetstream()
        try:
            good = Envelope("telemetry", {"drone_id": 1}, 1.0, "link-9", "a" * 32)
            spoofed = Envelope("telemetry", {"drone_id": 2}, 1.0, "link-9", "b" * 32)
            no_sysid = orjson.loads(good.encode()) | {"data": {"lat_deg": 1.0}}
            future = orjson.loads(good.encode()) | {"v": 99}
            for payload in (b"not json", b"[1, 2]", b"\xff\xfe", orjson.dumps(future),
                            spoofed.encode(), orjson.dumps(no_sysid), b"{" * 300_000):
                await raw.publish("jh.telemetry.1", payload)
            await js.publish("jh.alert", b'{"v": 1, "topic": "alert"')
            await raw.publish("jh.telemetry.1", good.encode())
            alert = Envelope("alert", {"message": "after the bad one"}, 2.0, "core-1", "d" * 32)
            await js.publish("jh.alert", alert.encode())
            first, second = await next_event(sub), await next_event(sub)
            assert {first.topic, second.topic} == {"telemetry", "alert"}
            assert {first.time_s, second.time_s} == {1.0, 2.0}
            await asyncio.sleep(0.3)
            assert sub.queue.empty()
            assert bus.refused == {"not_json": 3, "not_object": 1, "bad_version": 1,
                                   "subject_mismatch": 1, "bad_data": 1, "too_large": 1}
        finally:
            await raw.close()


async def test_an_event_the_bus_cannot_carry_is_refused_at_publish(
        nats_server: NatsServer) -> None:
    async with node(nats_server, "link-1") as bus, bus.subscribe() as sub:
        for topic, data in (("telemetry", {"lat_deg": 31.0}),  # names no drone
                            ("incident", {"id": 1, "state": "open", "blob": "x" * 300_000}),
                            ("alert", {"message": {1, 2}}),  # not JSON
                            ("Bad Topic", {})):
            with pytest.raises(ValueError):
                bus.publish(topic, data)
        assert sub.queue.empty() and bus.status()["durable_pending"] == 0
