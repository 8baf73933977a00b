"""The launcher for the real ArduPilot SITL binary."""

from __future__ import annotations

import pytest

from jinghang.errors import SimulatorError
from jinghang.simulator import start_vehicle
from jinghang.simulator.sitl import SitlProcess, with_aliases
from tests.conftest import sitl_binary
from tests.simulator.client import connect_gcs
from tests.simulator.conftest import HOME


def test_missing_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JINGHANG_SITL_BINARY", raising=False)
    with pytest.raises(SimulatorError) as info:
        SitlProcess()
    assert info.value.field == "JINGHANG_SITL_BINARY"
    assert "arducopter" in str(info.value)


def test_command_line_is_sitl_s_own(tmp_path: object) -> None:
    proc = SitlProcess(binary="/bin/true", instance=7, home=HOME, speedup=5)
    argv = proc.command_line("/tmp/copter.parm")
    assert argv[:3] == ["/bin/true", "--model", "+"]
    assert argv[argv.index("--speedup") + 1] == "5"
    assert argv[argv.index("--home") + 1] == "37.5125000,122.1199000,10.00,0.0"
    assert argv[argv.index("--instance") + 1] == "7"
    assert "-w" in argv and "--defaults" in argv
    assert proc.address == "tcp:127.0.0.1:5830"


def test_parameters_go_under_both_generations_of_names() -> None:
    assert with_aliases({"SYSID_THISMAV": 3, "SIM_GPS_DISABLE": 1}) == {
        "SYSID_THISMAV": 3,
        "MAV_SYSID": 3,
        "SIM_GPS_DISABLE": 1,
        "SIM_GPS1_ENABLE": 0.0,
    }


async def test_unknown_backend_is_refused() -> None:
    with pytest.raises(SimulatorError) as info:
        async with start_vehicle("gazebo"):
            pass
    assert info.value.field == "backend"


@pytest.mark.sitl
async def test_real_sitl_starts_ready_to_arm_and_stops() -> None:
    if sitl_binary() is None:
        pytest.skip("JINGHANG_SITL_BINARY does not name an ArduPilot SITL arducopter binary")
    async with SitlProcess(
        instance=None, home=HOME, speedup=10, params={"SYSID_THISMAV": 2}
    ) as sitl:
        async with connect_gcs(sitl.tcp_port, target_system=2) as gcs:
            hb = await gcs.wait("HEARTBEAT", timeout_s=30)
            assert hb.get_srcSystem() == 2
            assert hb.autopilot == 3
        proc = sitl._proc
        assert proc is not None and proc.returncode is None
    assert proc.returncode is not None
