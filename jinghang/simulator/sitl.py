"""The launcher for ArduPilot's own SITL ``arducopter`` binary (the real thing).

:class:`SitlProcess` starts one instance in a temporary directory with a clean eeprom
(``-w``), ArduPilot's default copter parameters plus any overrides, the given home and
speedup, waits until the vehicle reports a 3D GPS fix, a healthy EKF and passing pre-arm
checks (it can arm), and stops it cleanly (SIGTERM, then SIGKILL). Instance ``i`` serves
MAVLink on TCP 5760 + 10 * i, as ``sim_vehicle.py`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import tempfile
from pathlib import Path
from types import TracebackType

from jinghang.errors import SimulatorError
from jinghang.mavlink.channel import Channel
from jinghang.mavlink.dialect import mavlink
from jinghang.simulator.params import ALIASES
from jinghang.simulator.server import DEFAULT_HOME, SITL_BASE_PORT, check_home

M = mavlink
SITL_ENV = "JINGHANG_SITL_BINARY"

#: ArduPilot's Tools/autotest/default_params/copter.parm (the parts that matter without RC
#: calibration files), which sim_vehicle.py loads for the quad frame.
COPTER_DEFAULTS = """\
FRAME_TYPE 0
FRAME_CLASS 1
FS_THR_ENABLE 1
BATT_MONITOR 4
COMPASS_OFS_X 5
COMPASS_OFS_Y 13
COMPASS_OFS_Z -18
COMPASS_OFS2_X 5
COMPASS_OFS2_Y 13
COMPASS_OFS2_Z -18
COMPASS_OFS3_X 5
COMPASS_OFS3_Y 13
COMPASS_OFS3_Z -18
FENCE_RADIUS 150
RC1_MAX 2000
RC1_MIN 1000
RC1_TRIM 1500
RC2_MAX 2000
RC2_MIN 1000
RC2_TRIM 1500
RC3_MAX 2000
RC3_MIN 1000
RC3_TRIM 1500
RC4_MAX 2000
RC4_MIN 1000
RC4_TRIM 1500
RC5_MAX 2000
RC5_MIN 1000
RC5_TRIM 1500
RC6_MAX 2000
RC6_MIN 1000
RC6_TRIM 1500
RC7_MAX 2000
RC7_MIN 1000
RC7_OPTION 7
RC7_TRIM 1500
RC8_MAX 2000
RC8_MIN 1000
RC8_TRIM 1500
FLTMODE1 7
FLTMODE2 9
FLTMODE3 6
FLTMODE4 3
FLTMODE5 5
FLTMODE6 0
SIM_BARO_RND 0
INS_ACCOFFS_X 0.001
INS_ACCOFFS_Y 0.001
INS_ACCOFFS_Z 0.001
INS_ACCSCAL_X 1.001
INS_ACCSCAL_Y 1.001
INS_ACCSCAL_Z 1.001
INS_ACC2OFFS_X 0.001
INS_ACC2OFFS_Y 0.001
INS_ACC2OFFS_Z 0.001
INS_ACC2SCAL_X 1.001
INS_ACC2SCAL_Y 1.001
INS_ACC2SCAL_Z 1.001
INS_ACC3OFFS_X 0.000
INS_ACC3OFFS_Y 0.000
INS_ACC3OFFS_Z 0.000
INS_ACC3SCAL_X 1.000
INS_ACC3SCAL_Y 1.000
INS_ACC3SCAL_Z 1.000
MOT_THST_EXPO 0.65
MOT_THST_HOVER 0.39
MOT_BAT_VOLT_MIN 9.6
MOT_BAT_VOLT_MAX 12.8
"""

#: A servo-triggered camera on output 9, so that surveys take photos (CAMERA_FEEDBACK per
#: photo) and pass the platform's camera check (ArduPilot's CAM1_TYPE defaults to none).
CAMERA_DEFAULTS = """\
CAM1_TYPE 1
SERVO9_FUNCTION 10
"""

READY_FLAGS = M.EKF_ATTITUDE | M.EKF_VELOCITY_HORIZ | M.EKF_POS_HORIZ_ABS | M.EKF_POS_VERT_ABS


def with_aliases(params: dict[str, float]) -> dict[str, float]:
    """Each parameter under both its ArduPilot 4.5/4.6 and 4.7 names, in each one's units
    (SITL ignores the name it does not know), e.g. SYSID_THISMAV and MAV_SYSID, RTL_ALT in cm
    and RTL_ALT_M in m."""
    out = dict(params)
    for name, alias in ALIASES.items():
        if alias.name in params and name not in params:
            out[name] = alias.read(params[alias.name])
        elif name in params and alias.name not in params:
            out[alias.name] = alias.write(params[name])
    return out


def sitl_binary_from_env() -> str | None:
    path = os.environ.get(SITL_ENV, "")
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


def _ports_free(instance: int) -> bool:
    base = SITL_BASE_PORT + 10 * instance
    for port in (base, base + 2, base + 3):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def pick_free_instance(start: int = 60, stop: int = 250) -> int:
    """An instance number whose SITL ports (5760 + 10 * i and the serial ports) are free."""
    import random

    candidates = list(range(start, stop))
    random.shuffle(candidates)
    for instance in candidates:
        if _ports_free(instance):
            return instance
    raise SimulatorError("no free SITL instance ports", field="instance", limit=f"{start}..{stop}")


class SitlProcess:
    """One running ArduPilot SITL ``arducopter``."""

    def __init__(
        self,
        *,
        instance: int | None = 0,
        home: tuple[float, float, float, float] = DEFAULT_HOME,
        speedup: float = 1.0,
        params: dict[str, float] | None = None,
        binary: str | None = None,
        ready_timeout_s: float = 180.0,
        wait_ready: bool = True,
    ) -> None:
        found = binary or sitl_binary_from_env()
        if not found or not os.access(found, os.X_OK):
            raise SimulatorError(
                f"no ArduPilot SITL binary: set {SITL_ENV} to an arducopter SITL build",
                field=SITL_ENV,
                value=found,
            )
        self.binary = found
        self.instance = pick_free_instance() if instance is None else instance
        self.home = check_home(home)
        self.speedup = speedup
        self.params = dict(params or {})
        self.ready_timeout_s = ready_timeout_s
        self.wait_ready = wait_ready
        self.tcp_port = SITL_BASE_PORT + 10 * self.instance
        self._proc: asyncio.subprocess.Process | None = None
        self._dir: str | None = None

    @property
    def address(self) -> str:
        return f"tcp:127.0.0.1:{self.tcp_port}"

    def command_line(self, defaults_path: str) -> list[str]:
        lat, lon, alt, hdg = self.home
        return [
            self.binary,
            "--model",
            "+",
            "--speedup",
            f"{self.speedup:g}",
            "--home",
            f"{lat:.7f},{lon:.7f},{alt:.2f},{hdg:.1f}",
            "--instance",
            str(self.instance),
            "--defaults",
            defaults_path,
            "-w",
        ]

    async def __aenter__(self) -> SitlProcess:
        self._dir = tempfile.mkdtemp(prefix=f"jinghang-sitl-{self.instance}-")
        defaults = Path(self._dir) / "copter.parm"
        extra = "".join(f"{k} {v:g}\n" for k, v in with_aliases(self.params).items())
        defaults.write_text(COPTER_DEFAULTS + CAMERA_DEFAULTS + extra)
        log = os.open(Path(self._dir) / "arducopter.log", os.O_WRONLY | os.O_CREAT, 0o644)
        self._proc = await asyncio.create_subprocess_exec(
            *self.command_line(str(defaults)),
            cwd=self._dir,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        os.close(log)
        try:
            if self.wait_ready:
                await self._wait_until_ready()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        deadline = asyncio.get_running_loop().time() + 30.0
        while True:
            if self._proc is not None and self._proc.returncode is not None:
                raise SimulatorError(
                    f"SITL exited with status {self._proc.returncode}; see {self._dir}",
                    field=SITL_ENV,
                    value=self.binary,
                )
            try:
                return await asyncio.open_connection("127.0.0.1", self.tcp_port)
            except OSError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.2)

    async def _wait_until_ready(self) -> None:
        """Connect to serial0 and wait for GPS, EKF and pre-arm health (it can arm)."""
        reader, writer = await self._connect()
        channel = Channel()
        gps_ok = ekf_ok = prearm_ok = False
        try:
            async with asyncio.timeout(self.ready_timeout_s):
                last_request = -10.0
                loop = asyncio.get_running_loop()
                while not (gps_ok and ekf_ok and prearm_ok):
                    now = loop.time()
                    if now - last_request > 2.0:
                        last_request = now
                        writer.write(
                            channel.encode(
                                M.MAVLink_heartbeat_message(
                                    M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0, 3
                                )
                            )
                        )
                        for msg_id in (
                            M.MAVLINK_MSG_ID_SYS_STATUS,
                            M.MAVLINK_MSG_ID_GPS_RAW_INT,
                            M.MAVLINK_MSG_ID_EKF_STATUS_REPORT,
                        ):
                            writer.write(
                                channel.encode(
                                    M.MAVLink_command_long_message(
                                        0,
                                        0,
                                        M.MAV_CMD_SET_MESSAGE_INTERVAL,
                                        0,
                                        msg_id,
                                        500000,
                                        0,
                                        0,
                                        0,
                                        0,
                                        0,
                                    )
                                )
                            )
                    data = await reader.read(4096)
                    if not data:
                        raise SimulatorError("SITL closed the connection while starting")
                    for msg in channel.parse(data):
                        kind = msg.get_type()
                        if kind == "GPS_RAW_INT":
                            gps_ok = msg.fix_type >= 3
                        elif kind == "EKF_STATUS_REPORT":
                            ekf_ok = (msg.flags & READY_FLAGS) == READY_FLAGS
                        elif kind == "SYS_STATUS":
                            bit = M.MAV_SYS_STATUS_PREARM_CHECK
                            prearm_ok = bool(msg.onboard_control_sensors_health & bit)
        except TimeoutError as exc:
            raise SimulatorError(
                f"SITL not ready to arm after {self.ready_timeout_s:g} s "
                f"(gps={gps_ok}, ekf={ekf_ok}, prearm={prearm_ok}); see {self._dir}",
                field="ready_timeout_s",
                limit=self.ready_timeout_s,
            ) from exc
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                async with asyncio.timeout(5.0):
                    await proc.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await proc.wait()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
