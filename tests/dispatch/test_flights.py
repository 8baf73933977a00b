"""Reading a flight's phase from telemetry (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field

from jinghang.dispatch.flights import Flight, Phase, observe


@dataclass
class State:
    armed: bool = True
    relative_altitude_m: float = 0.0
    mode: str = "AUTO"
    autopilot: str = "ardupilot"
    mission_current_seq: int | None = 0
    mission_reached_seqs: list[int] = field(default_factory=list)


def _flight() -> Flight:
    f = Flight(drone_id=1, mission_id=1, items=[], scene_seq=3, return_seq=20, incident_id=5)
    f.phase = Phase.EN_ROUTE
    return f


def test_phases_follow_the_mission_forward_only() -> None:
    f = _flight()
    assert observe(f, State(relative_altitude_m=30, mission_current_seq=3)) == Phase.EN_ROUTE
    f.phase = observe(f, State(relative_altitude_m=60, mission_current_seq=4))
    assert f.phase == Phase.ON_SCENE
    assert observe(f, State(relative_altitude_m=60, mission_current_seq=2)) == Phase.ON_SCENE
    f.phase = observe(f, State(relative_altitude_m=60, mission_current_seq=20))
    assert f.phase == Phase.RETURNING
    assert observe(f, State(armed=False, mission_current_seq=20)) == Phase.LANDED


def test_a_recall_or_failsafe_rtl_means_returning() -> None:
    f = _flight()
    assert observe(f, State(relative_altitude_m=40, mode="RTL")) == Phase.RETURNING


def test_a_drone_that_disarms_before_climbing_has_landed() -> None:
    f = _flight()
    observe(f, State(relative_altitude_m=0.2))
    assert observe(f, State(armed=False, relative_altitude_m=0.0)) == Phase.LANDED


def test_while_a_pilot_has_it_only_returning_and_landing_are_read() -> None:
    f = _flight()
    f.handed_over_to = "pilot.zhang"
    assert observe(f, State(relative_altitude_m=40, mode="GUIDED",
                            mission_current_seq=10)) == Phase.EN_ROUTE
    assert observe(f, State(relative_altitude_m=40, mode="RTL")) == Phase.RETURNING


def test_after_a_redirect_old_sequence_numbers_are_not_read() -> None:
    f = _flight()
    f.phase = Phase.EN_ROUTE
    f.await_seq = 3
    assert observe(f, State(relative_altitude_m=60, mission_current_seq=40)) == Phase.EN_ROUTE
    assert observe(f, State(relative_altitude_m=60, mission_current_seq=3)) == Phase.EN_ROUTE
    assert f.await_seq is None
    assert observe(f, State(relative_altitude_m=60, mission_current_seq=4)) == Phase.ON_SCENE
