"""The simulator answers to both generations of ArduPilot's parameter names, in each one's
units, as the vehicles a unit flies do (4.5/4.6 in cm, cm/s and centidegrees; 4.7+ in SI)."""

from __future__ import annotations

import pytest

from jinghang.simulator.params import ParamTable
from jinghang.simulator.sitl import with_aliases


def test_an_si_name_reads_and_writes_the_same_setting_in_its_own_units() -> None:
    table = ParamTable()
    assert table.get("WP_SPD").value == pytest.approx(table["WPNAV_SPEED"] / 100)  # type: ignore[union-attr]
    assert table.set("RTL_ALT_M", 25.0)
    assert table["RTL_ALT"] == 2500
    assert table.get("ATC_ANGLE_MAX").value == pytest.approx(table["ANGLE_MAX"] / 100)  # type: ignore[union-attr]
    assert not table.set("WP_SPD", float("nan"))
    assert "WP_SPD" in table and "NO_SUCH_PARAM" not in table


def test_sitl_is_given_each_setting_under_both_names() -> None:
    out = with_aliases({"RTL_ALT": 1500.0, "WP_SPD": 8.0, "SYSID_THISMAV": 3.0})
    assert out["RTL_ALT_M"] == pytest.approx(15.0)
    assert out["WPNAV_SPEED"] == pytest.approx(800.0)
    assert out["MAV_SYSID"] == 3.0


def test_the_simulator_has_every_limit_the_platform_reads_under_either_generation() -> None:
    # a name the vehicle lacks costs the flight core's whole retry time before drone choice
    # may use the vehicle's limits
    from jinghang.missions.vehicle_limits import PARAMS, PARAMS_SI

    table = ParamTable()
    assert [n for n in (*PARAMS, *PARAMS_SI) if n not in table] == []
