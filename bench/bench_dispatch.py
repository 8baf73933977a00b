"""Incident reported over the API to the first command on the wire to the drone, and to the
drone accepting it (armed, in AUTO); flight time excluded.

    python bench/bench_dispatch.py --incidents 50 --bursts 10 --drones 5 --speedup 1
    python bench/bench_dispatch.py --links tcp:127.0.0.1:5760 --incidents 5 --bursts 0

Three processes, real sockets throughout:

- the simulators (``jinghang sim``, the built-in ArduCopter) at ``--speedup`` (default 1: the
  vehicle answers at its real pace, e.g. its 1 Hz HEARTBEAT, which the platform waits on to
  see a mode or arming take effect, as on a real ArduCopter);
- a timestamping tap (``bench/_wire_tap.py``) between platform and simulators, which stamps
  each MAVLink frame the moment its bytes come off the socket;
- the platform in this process, assembled as ``jinghang serve`` does it (store on a SQLite
  file, fleet, dispatcher with its default poll, the shipped Weihai no-fly zones) and served
  by uvicorn; the reports are ``POST /api/incidents`` over HTTP. A pass-through ASGI wrapper
  around the app stamps each report's arrival: the moment uvicorn hands the parsed request
  to the application, before any of the platform's code runs.

The clock stops at the first frame on the wire to the incident's drone after its report
(``SET_MODE``, ``COMMAND_LONG``/``COMMAND_INT`` or any ``MISSION_*``: for a dispatch that is the
upload's ``MISSION_COUNT``), at the arming command, and at the first HEARTBEAT from the drone
saying armed in AUTO. ``--incidents`` are reported one at a time (each once the previous
is flying and a drone is free); then ``--bursts`` rounds of one report per drone, sent at once.
After each acceptance the drone is recalled (RTL) and lands before it serves again. The
simulators get a battery that lasts the run (``BATT_CAPACITY`` set over MAVLink before the
first report), since their charge does not reset between flights.

The split by part comes from the store's own timestamps (incident created, assigned, launching)
and the tap's stamps; planning and the safety checks happen inside the assignment, so they are
timed apart afterwards with the same inputs (``plan_incident_flight`` and its ``check_plan``
against the same zones). A first flight's checks and upload start while its case is being
written, so the store's steps can come after the first command (a negative step). Nothing in
the platform is changed or hooked; ``--profile FILE`` writes a cProfile of the event loop's
thread over the reports (``python -m pstats FILE``; e.g. the callees of ``report_incident``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import datetime as dt
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench._common import NotMeasured, percentile, require, run  # noqa: E402
from tests.api.harness import BASE, make_settings, near, seed_users  # noqa: E402

PY = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
MSG_HEARTBEAT, MSG_SET_MODE, MSG_MISSION_COUNT, MSG_MISSION_ACK = 0, 11, 44, 47
MSG_COMMAND_INT, MSG_COMMAND_LONG, MSG_COMMAND_ACK = 75, 76, 77
CMD_ARM, CMD_SET_MESSAGE_INTERVAL, CMD_REQUEST_MESSAGE = 400, 511, 512
AUTO = 3  # ArduCopter's custom mode number
NAMES = {11: "SET_MODE", 39: "MISSION_ITEM", 41: "MISSION_SET_CURRENT", 44: "MISSION_COUNT",
         45: "MISSION_CLEAR_ALL", 73: "MISSION_ITEM_INT", 75: "COMMAND_INT",
         76: "COMMAND_LONG"}
BATTERY_MAH = 1_000_000  # the simulators' BATT_CAPACITY: no drone runs low during the run


@dataclass
class Wire:
    """One tap record: ``t`` (epoch s), link index, direction, message id and two fields."""

    t: float
    link: int
    up: bool
    msgid: int
    a: int
    b: int


def read_wire(path: Path) -> list[Wire]:
    out = []
    for line in path.read_text(encoding="ascii").splitlines():
        t, link, direction, msgid, a, b = line.split()
        out.append(Wire(float(t), int(link), direction == "up", int(msgid), int(a), int(b)))
    return out


def is_command(w: Wire) -> bool:
    """A frame that tells the vehicle to do something (stream requests excluded)."""
    if not w.up:
        return False
    if w.msgid in (MSG_COMMAND_LONG, MSG_COMMAND_INT):
        return w.a not in (CMD_SET_MESSAGE_INTERVAL, CMD_REQUEST_MESSAGE)
    return w.msgid == MSG_SET_MODE or w.msgid in (39, 41, 44, 45, 73)


@dataclass
class Report:
    """One reported incident as the benchmark saw it."""

    key: str
    mode: str
    incident_id: int = 0
    drone_id: int = 0
    arrived_s: float = 0.0
    times_s: dict[str, float] = field(default_factory=dict)
    first_command: str = ""


def stamping(app: Any, arrivals: dict[str, float]) -> Any:
    """``app`` unchanged, but each ``POST /api/incidents`` with an ``x-bench-id`` header has
    its arrival time recorded under that id before the app sees it."""

    async def wrapper(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" \
                and scope["path"] == "/api/incidents":
            stamp = time.time()
            for name, value in scope["headers"]:
                if name == b"x-bench-id":
                    arrivals[value.decode()] = stamp
        await app(scope, receive, send)

    return wrapper


async def start_process(*cmd: str, lines: int, what: str) -> tuple[Any, list[str]]:
    proc = await asyncio.create_subprocess_exec(
        *cmd, env=ENV, cwd=str(ROOT), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    got = []
    while len(got) < lines:
        try:
            line = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
        except TimeoutError:
            line = ""
        if not line:
            proc.kill()
            raise NotMeasured(f"{what} did not start ({' '.join(cmd[1:3])} exited or was silent)")
        got.append(line)
    return proc, got


@contextlib.asynccontextmanager
async def vehicles(count: int, speedup: float, log: Path, links: list[str]
                   ) -> AsyncIterator[list[tuple[int, str, tuple, str]]]:
    """The simulators (or the vehicles at ``links``, system ids 1, 2, ... in order) and the
    tap in front of them: (system id, tap address, home, vehicle address) each."""
    home = f"{BASE[0]},{BASE[1]},10,0"
    sim = None
    if links:
        lines = [f"vehicle {i + 1}: {address} home {home}" for i, address in enumerate(links)]
    else:
        sim, lines = await start_process(
            PY, "-m", "jinghang.cli", "sim", "--count", str(count), "--ephemeral-ports",
            "--home", home, "--speedup", f"{speedup:g}", lines=count, what="the simulators")
    tap = None
    try:
        # "vehicle 1: tcp:127.0.0.1:PORT home LAT,LON,ALT speedup S"
        parsed = [(int(p[1].rstrip(":")), p[2], tuple(float(x) for x in p[4].split(",")))
                  for p in (line.split() for line in lines)]
        tap, taps = await start_process(
            PY, str(ROOT / "bench" / "_wire_tap.py"), "--log", str(log),
            *[address for _, address, _ in parsed], lines=count, what="the wire tap")
        yield [(sid, tap_line.split()[2], where, upstream)
               for (sid, upstream, where), tap_line in zip(parsed, taps, strict=True)]
    finally:
        for proc in (tap, sim):
            if proc is not None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
                await proc.wait()


class Platform:
    """The server under test and the state of each case's sortie (its drone's work) as its
    event bus publishes them."""

    def __init__(self, services: Any, client: httpx.AsyncClient, token: str) -> None:
        self.services = services
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"}
        self.states: dict[int, str] = {}
        self.changed = asyncio.Condition()

    async def follow(self) -> None:
        async with self.services.bus.subscribe("sortie") as sub:
            async for event in sub:
                if event.data.get("code") != "sortie.state":
                    continue
                async with self.changed:
                    self.states[int(event.data["incident_id"])] = str(event.data["state"])
                    self.changed.notify_all()

    async def until(self, check: Callable[[], bool], what: str, timeout_s: float) -> None:
        try:
            async with asyncio.timeout(timeout_s), self.changed:
                await self.changed.wait_for(check)
        except TimeoutError:
            raise NotMeasured(f"{what} within {timeout_s:g} s") from None

    async def report(self, r: Report, at: tuple[float, float]) -> None:
        response = await self.client.post(
            "/api/incidents", headers={**self.headers, "x-bench-id": r.key},
            json={"playbook_id": "P01", "latitude_deg": at[0], "longitude_deg": at[1]})
        require(response.status_code == 201,
                f"POST /api/incidents was not accepted: {response.status_code} {response.text}")
        incident = response.json()["incident"]
        r.incident_id = int(incident["id"])
        drones = [x.get("drone_id") for x in incident.get("sorties") or []]
        chosen = (response.json().get("choice") or {}).get("candidates") or [{}]
        # the sortie names its drone once its launch starts; the report's choice names it now
        drone = (incident.get("drone_id") or next((d for d in drones if d), None)
                 or chosen[0].get("drone_id"))
        require(drone, f"incident {r.incident_id} was given no drone: "
                f"{incident.get('reason') or incident.get('unassigned')}")
        r.drone_id = int(drone)

    async def flying_then_recalled(self, r: Report, timeout_s: float) -> None:
        bad = {"failed", "aborted", "landed"}
        await self.until(lambda: self.states.get(r.incident_id) in {"en_route", "on_scene"} | bad,
                         f"the sortie of incident {r.incident_id} did not get its drone flying",
                         timeout_s)
        state = self.states[r.incident_id]
        require(state not in bad,
                f"the sortie of incident {r.incident_id} went to {state} instead of flying")
        response = await self.client.post(f"/api/incidents/{r.incident_id}/recall",
                                          headers=self.headers)
        require(response.status_code < 300, f"recall of incident {r.incident_id} refused: "
                f"{response.status_code} {response.text}")

    def open_count(self, reports: list[Report]) -> int:
        ended = {"landed", "aborted", "failed"}
        return sum(1 for r in reports if self.states.get(r.incident_id) not in ended)


@contextlib.asynccontextmanager
async def platform(tmp: Path, fleet_links: list[tuple[int, str, tuple, str]],
                   arrivals: dict[str, float], simulated: bool) -> AsyncIterator[Platform]:
    """The platform as ``jinghang serve`` builds it (dispatcher defaults, the settings' no-fly
    zones: the shipped Weihai sample), served by uvicorn on 127.0.0.1."""
    from jinghang.api import register
    from jinghang.api.app import create_app
    from jinghang.api.register import VehicleCreate
    from jinghang.api.runtime import add_dispatcher
    from jinghang.api.security import Role, issue_token
    from jinghang.api.server import serving
    from jinghang.api.services import Services
    from jinghang.events import EventBus
    from jinghang.flight import Fleet
    from jinghang.store.engine import open_store

    settings = make_settings(tmp, links=[address for _, address, *_ in fleet_links])
    store = open_store(settings.database_url)
    services = Services(settings=settings, bus=EventBus(), store=store)
    seed_users(services)
    services.fleet = Fleet(services.bus)
    for sid, _, home, _ in fleet_links:
        register.ensure_vehicle(services, VehicleCreate(
            drone_id=sid, name=f"drone-{sid}", base_latitude_deg=home[0],
            base_longitude_deg=home[1], base_altitude_m=home[2],
            payloads=["camera", "zoom", "thermal", "loudspeaker", "release"]))
    add_dispatcher(services)
    app = stamping(create_app(settings, services), arrivals)
    token = issue_token("commander", Role.COMMANDER, secret_key=settings.secret_key,
                        lifetime_s=24 * 3600)
    failure: NotMeasured | None = None
    try:
        async with serving(app) as url, \
                httpx.AsyncClient(base_url=url, timeout=60) as client, \
                asyncio.TaskGroup() as tasks:
            plat = Platform(services, client, token)
            follower = tasks.create_task(plat.follow())
            try:  # a failure is raised once the server has stopped cleanly
                await heard(services.fleet, fleet_links)
                if simulated:  # a battery that lasts the run (the charge never resets)
                    for sid, *_ in fleet_links:
                        await services.fleet.vehicles[sid].params.set(
                            "BATT_CAPACITY", BATTERY_MAH, actor="bench")
                yield plat
            except NotMeasured as exc:
                failure = exc
            finally:
                follower.cancel()
    finally:
        store.close()
    if failure is not None:
        raise failure


async def heard(fleet: Any, fleet_links: list[tuple[int, str, tuple, str]]) -> None:
    """Every vehicle linked and reporting a position, or :class:`NotMeasured`."""
    for _ in range(300):
        if all(sid in fleet.vehicles and fleet.vehicles[sid].state.has_position
               for sid, *_ in fleet_links):
            break
        await asyncio.sleep(0.1)
    for sid, address, _, upstream in fleet_links:
        require(sid in fleet.vehicles and fleet.vehicles[sid].state.has_position,
                f"no vehicle {sid} heard (with a position) in 30 s from {upstream} "
                f"(through the tap at {address})")
    await asyncio.sleep(1.0)  # stream requests answered, the dispatcher serving


def spot(index: int) -> tuple[float, float]:
    """Incident places 200-290 m north of the base, spread east-west."""
    return near(200 + 10 * (index % 10), 50 * (index % 7) - 150)


async def run_one_at_a_time(plat: Platform, count: int, drones: int, timeout_s: float,
                            reports: list[Report]) -> None:
    for i in range(count):
        await plat.until(lambda: plat.open_count(reports) < drones,
                         "no drone came free (landed) for the next incident", timeout_s * 3)
        r = Report(f"one-{i}", "one at a time")
        reports.append(r)
        await plat.report(r, spot(i))
        await plat.flying_then_recalled(r, timeout_s)


async def run_bursts(plat: Platform, rounds: int, drones: int, timeout_s: float,
                     reports: list[Report]) -> None:
    for k in range(rounds):
        await plat.until(lambda: plat.open_count(reports) == 0,
                         "the drones did not all land between bursts", timeout_s * 3)
        burst = [Report(f"burst-{k}-{j}", f"burst of {drones}") for j in range(drones)]
        reports.extend(burst)
        await gather(*(plat.report(r, spot(k * drones + j)) for j, r in enumerate(burst)))
        await gather(*(plat.flying_then_recalled(r, timeout_s) for r in burst))
    await plat.until(lambda: plat.open_count(reports) == 0, "the drones did not all land",
                     timeout_s * 3)


async def gather(*jobs: Awaitable[None]) -> None:
    async with asyncio.TaskGroup() as group:
        for job in jobs:
            group.create_task(job)  # type: ignore[arg-type]


def parse_db_time(text: str) -> float:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def fill_times(reports: list[Report], arrivals: dict[str, float], wire: list[Wire],
               db: Path, link_of: dict[int, int]) -> None:
    """Each report's moments: arrival, store steps (from the store's own timestamps) and the
    wire (from the tap)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        created = dict(con.execute("SELECT id, created_at FROM incidents"))
        steps: dict[tuple[int, str], str] = {}
        for incident_id, to_state, at in con.execute(
                "SELECT incident_id, to_state, created_at FROM mission_events "
                "WHERE incident_id IS NOT NULL ORDER BY id"):
            steps.setdefault((incident_id, to_state), at)
    finally:
        con.close()
    for r in reports:
        require(r.key in arrivals, f"the server never saw report {r.key} arrive")
        r.arrived_s = arrivals[r.key]
        t = r.times_s
        t["stored"] = parse_db_time(created[r.incident_id])
        for state in ("launching",):
            if (r.incident_id, state) in steps:
                t[state] = parse_db_time(steps[(r.incident_id, state)])
        link = link_of[r.drone_id]
        mine = [w for w in wire if w.link == link and w.t >= r.arrived_s]
        first = next((w for w in mine if is_command(w)), None)
        require(first, f"no command went out on the wire to drone {r.drone_id} after "
                f"incident {r.incident_id} was reported")
        assert first is not None
        t["first command"] = first.t
        r.first_command = NAMES.get(first.msgid, str(first.msgid)) + (
            f" {first.a}" if first.msgid in (MSG_COMMAND_LONG, MSG_COMMAND_INT) else "")
        count = next((w for w in mine if w.up and w.msgid == MSG_MISSION_COUNT), None)
        if count is not None:
            t["upload start"] = count.t
            ack = next((w for w in mine if not w.up and w.msgid == MSG_MISSION_ACK
                        and w.t >= count.t), None)
            if ack is not None:
                t["upload acked"] = ack.t
                after = next((w for w in mine if is_command(w) and w.t > ack.t), None)
                if after is not None:
                    t["next command"] = after.t
        arm = next((w for w in mine if w.up and w.msgid in (MSG_COMMAND_LONG, MSG_COMMAND_INT)
                    and w.a == CMD_ARM), None)
        require(arm, f"no arming command seen on the wire for incident {r.incident_id}")
        assert arm is not None
        t["arm command"] = arm.t
        arm_ack = next((w for w in mine if not w.up and w.msgid == MSG_COMMAND_ACK
                        and w.a == CMD_ARM and w.t >= arm.t), None)
        if arm_ack is not None:
            t["arm acked"] = arm_ack.t
            start = next((w for w in mine if is_command(w) and w.t > arm_ack.t), None)
            if start is not None:
                t["start command"] = start.t
        accepted = next((w for w in mine if not w.up and w.msgid == MSG_HEARTBEAT
                         and w.a == 1 and w.b == AUTO), None)
        require(accepted, f"drone {r.drone_id} never said armed in AUTO for incident "
                f"{r.incident_id}")
        assert accepted is not None
        t["armed in AUTO"] = accepted.t


PARTS = [  # (label, from, to): the split by part, every moment relative to the same report
    ("HTTP in, validate, store the incident", None, "stored"),
    ("choose, plan, check, store the sortie and mission", "stored", "launching"),
    ("launching recorded to the first command", "launching", "first command"),
    ("mission upload on the wire (to MISSION_ACK)", "upload start", "upload acked"),
    ("upload acked to the next command (GUIDED)", "upload acked", "next command"),
    ("that to the arming command", "next command", "arm command"),
    ("arming command to its COMMAND_ACK", "arm command", "arm acked"),
    ("that to the next command (MISSION_START)", "arm acked", "start command"),
    ("that to armed in AUTO (its heartbeat)", "start command", "armed in AUTO"),
]


def moment(r: Report, name: str | None) -> float | None:
    return r.arrived_s if name is None else r.times_s.get(name)


def show(reports: list[Report]) -> None:
    for mode in dict.fromkeys(r.mode for r in reports):
        mine = [r for r in reports if r.mode == mode]
        print(f"\n{mode}: {len(mine)} incidents (clock from the report's arrival at the server)")
        for label, end in (("to the first command on the wire", "first command"),
                           ("to the arming command on the wire", "arm command"),
                           ("to the drone armed in AUTO (its heartbeat)", "armed in AUTO")):
            ms = [1000 * (r.times_s[end] - r.arrived_s) for r in mine]
            print(f"  {label:44s} p50 {percentile(ms, 50):7.1f} ms  p95 "
                  f"{percentile(ms, 95):7.1f} ms  max {max(ms):7.1f} ms")
        kinds: dict[str, int] = {}
        for r in mine:
            kinds[r.first_command] = kinds.get(r.first_command, 0) + 1
        print("  the first command frame was: " + ", ".join(f"{k} ({n})" for k, n in
                                                          kinds.items()))
        print("  split by part (p50 / p95 ms of each step):")
        for label, start, end in PARTS:
            ms = [1000 * (b - a) for r in mine
                  if (a := moment(r, start)) is not None and (b := moment(r, end)) is not None]
            if ms:
                print(f"    {label:46s} {percentile(ms, 50):7.1f} / {percentile(ms, 95):7.1f}"
                      f"   (n={len(ms)})")
            else:
                print(f"    {label:46s}  not seen")


def planning_apart(services: Any, drone_id: int, repeat: int = 20) -> None:
    """Planning and the safety check timed apart, with a drone's real profile and the same
    zones and limits as the dispatcher (they run inside 'choose, plan, check' above)."""
    from jinghang.dispatch.fleetview import drone_profile
    from jinghang.dispatch.planning import plan_incident_flight
    from jinghang.missions.safety import check_plan
    from jinghang.store import list_vehicles

    d = services.dispatcher
    with services.store.read_session() as s:
        registered = next(v for v in list_vehicles(s) if v.drone_id == drone_id)
    profile = drone_profile(registered, services.fleet.vehicles.get(drone_id))
    playbook = d.playbooks.get("P01")
    whole, check = [], []
    for i in range(repeat):
        t0 = time.perf_counter()
        plan = plan_incident_flight(playbook, spot(i), profile, limits=d.limits,
                                    no_fly=d.no_fly)
        t1 = time.perf_counter()
        check_plan(plan, d.limits.for_drone(profile), d.no_fly)
        t2 = time.perf_counter()
        whole.append(t1 - t0)
        check.append(t2 - t1)
    plan_ms = 1000 * (statistics.median(whole) - statistics.median(check))
    print(f"\nplanning apart (P01, {len(plan.items)} items, {len(d.no_fly)} no-fly zones, "
          f"median of {repeat}): plan {plan_ms:.2f} ms, safety check "
          f"{1000 * statistics.median(check):.2f} ms")


async def bench(args: argparse.Namespace) -> None:
    arrivals: dict[str, float] = {}
    reports: list[Report] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        log = tmp / "wire.log"
        given = [a for a in args.links.split(",") if a]
        drones = len(given) or args.drones
        what = (f"vehicles at {args.links}" if given else
                f"built-in ArduCopter at speedup {args.speedup:g} in its own process")
        print(f"drones {drones} ({what}), {os.cpu_count()} CPUs, load average "
              f"{os.getloadavg()[0]:.1f}")
        async with vehicles(drones, args.speedup, log, given) as links, \
                platform(tmp, links, arrivals, not given) as plat:
            print(f"no-fly zones loaded: {len(plat.services.dispatcher.no_fly)} "
                  "(the shipped Weihai sample)")
            require(len(plat.services.dispatcher.no_fly), "no no-fly zones were loaded")
            cpu0, wall0 = time.process_time(), time.monotonic()
            profiler = cProfile.Profile() if args.profile else None
            if profiler is not None:
                profiler.enable()  # the loop's thread only: where the reports are served
            await run_one_at_a_time(plat, args.incidents, drones, args.timeout_s, reports)
            await run_bursts(plat, args.bursts, drones, args.timeout_s, reports)
            if profiler is not None:
                profiler.disable()
                profiler.dump_stats(args.profile)
            cpu_s, wall_s = time.process_time() - cpu0, time.monotonic() - wall0
            planning_apart(plat.services, links[0][0])
            writer = plat.services.dispatcher.journal.writer
            print(f"store writer: {writer.committed} writes committed, "
                  f"{1000 * writer.busy_s / max(1, writer.committed):.2f} ms each in the "
                  f"database on average ({writer.busy_s:.2f} s in all, on its own thread)")
        link_of = {sid: i for i, (sid, *_) in enumerate(links)}
        require(reports, "no incident was reported (--one 0 --bursts 0?)")
        fill_times(reports, arrivals, read_wire(log), tmp / "jinghang.db", link_of)
    print(f"platform process: {cpu_s:.1f} s CPU over {wall_s:.1f} s "
          f"({100 * cpu_s / wall_s:.0f} % of a core), flights and landings included")
    show(reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=50, help="incidents one at a time")
    parser.add_argument("--bursts", type=int, default=10,
                        help="rounds of one incident per drone reported at once")
    parser.add_argument("--drones", type=int, default=5)
    parser.add_argument("--speedup", type=float, default=1.0,
                        help="simulated seconds per wall second (default 1: real time)")
    parser.add_argument("--timeout-s", type=float, default=60.0,
                        help="longest wait for one step before failing")
    parser.add_argument("--links", default="",
                        help="vehicles already running (tcp:HOST:PORT,...; system ids 1, 2, ... "
                        "in order, e.g. ArduPilot SITL) instead of starting simulators")
    parser.add_argument("--profile", default="",
                        help="write a cProfile of the event loop's thread during the reports "
                        "to this file (read it with python -m pstats)")
    args = parser.parse_args()
    asyncio.run(bench(args))


if __name__ == "__main__":
    run(main)
