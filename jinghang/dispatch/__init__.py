"""jinghang.dispatch: incidents as cases with sorties and their lifecycles, the 19 playbooks,
drone choice, the board that assigns drones (pure), the journal that records state changes,
the dispatcher that joins a plan to a vehicle, scheduled patrols and pilot handover.

    dispatcher = Dispatcher(store, fleet, bus, no_fly=NoFlyZones.weihai_sample(),
                            limits=Limits(altitude_ceiling_m=120, reserve_pct=20))
    patrols = PatrolScheduler(dispatcher)
    async with asyncio.TaskGroup() as tg:
        tg.create_task(dispatcher.run()); tg.create_task(patrols.run())
        report = await dispatcher.report_incident(IncidentCreate(...), actor="li")

See docs/INTERFACES.md for every call.
"""

from jinghang.dispatch.clock import Clock, SystemClock, TestClock
from jinghang.dispatch.dispatcher import Dispatcher, Report
from jinghang.dispatch.errors import (
    CaseNotOpen,
    HandoverError,
    IllegalTransition,
    IncidentNotActive,
    NoDroneAvailable,
    PatrolError,
    TwoPersonRule,
    UnknownPlaybook,
)
from jinghang.dispatch.lifecycle import (
    OUTCOMES,
    CaseState,
    SortieState,
    check_case_transition,
    check_sortie_transition,
)
from jinghang.dispatch.patrols import PatrolScheduler
from jinghang.dispatch.planning import Limits
from jinghang.dispatch.playbooks import Playbook, Playbooks, load_playbooks
from jinghang.dispatch.selection import (
    Candidate,
    Choice,
    DroneStatus,
    Rejected,
    Task,
    choose_drones,
)

__all__ = [
    "OUTCOMES",
    "Candidate",
    "CaseNotOpen",
    "CaseState",
    "Choice",
    "Clock",
    "Dispatcher",
    "DroneStatus",
    "HandoverError",
    "IllegalTransition",
    "IncidentNotActive",
    "Limits",
    "NoDroneAvailable",
    "PatrolError",
    "PatrolScheduler",
    "Playbook",
    "Playbooks",
    "Rejected",
    "Report",
    "SortieState",
    "SystemClock",
    "Task",
    "TestClock",
    "TwoPersonRule",
    "UnknownPlaybook",
    "check_case_transition",
    "check_sortie_transition",
    "choose_drones",
    "load_playbooks",
]
