"""The synthetic world the simulator camera looks at, rendered once as a big image.

A square of ground ``size_px * metres_per_px`` wide centred on the origin: sea with waves to
the east of a wavy coastline, a beach with people on it, fields, a road grid with buildings in
the town blocks and people beside the roads. Vehicles move along the roads; they are the only
thing drawn per frame (a handful of projected quadrilaterals). Everything is deterministic for
a seed, and worlds are cached so that several cameras in one process share one image.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

Image = npt.NDArray[Any]

SEA_BGR = (120, 80, 20)
SAND_BGR = (150, 200, 225)
ROAD_BGR = (90, 90, 90)
ROAD_WIDTH_M = 8.0


@dataclass(frozen=True, slots=True)
class Road:
    """A straight road between two ground points (east_m, north_m)."""

    start_m: tuple[float, float]
    end_m: tuple[float, float]

    @property
    def length_m(self) -> float:
        return math.dist(self.start_m, self.end_m)

    def point_at(self, distance_m: float) -> tuple[float, float]:
        frac = (distance_m % self.length_m) / self.length_m
        return (
            self.start_m[0] + frac * (self.end_m[0] - self.start_m[0]),
            self.start_m[1] + frac * (self.end_m[1] - self.start_m[1]),
        )


@dataclass(frozen=True, slots=True)
class Vehicle:
    """A car moving along a road at a constant speed, looping."""

    road: Road
    offset_m: float
    speed_m_s: float
    colour_bgr: tuple[int, int, int]
    length_m: float = 4.5
    width_m: float = 2.0

    def corners_m(self, time_s: float) -> npt.NDArray[np.float64]:
        """The car's four corners (east_m, north_m) at a time, as a 4 x 2 array."""
        centre = np.array(self.road.point_at(self.offset_m + self.speed_m_s * time_s))
        direction = np.subtract(self.road.end_m, self.road.start_m)
        direction = direction / np.linalg.norm(direction) * math.copysign(1, self.speed_m_s)
        normal = np.array([-direction[1], direction[0]])
        lane = normal * (ROAD_WIDTH_M / 4)
        half_l = direction * self.length_m / 2
        half_w = normal * self.width_m / 2
        c = centre - lane
        return np.array([c + half_l + half_w, c + half_l - half_w, c - half_l - half_w,
                         c - half_l + half_w])


@dataclass(frozen=True)
class World:
    """The pre-rendered ground image and the moving things on it."""

    image: Image
    metres_per_px: float
    roads: tuple[Road, ...]
    vehicles: tuple[Vehicle, ...]

    @property
    def size_px(self) -> int:
        return int(self.image.shape[0])

    def pixel_to_ground(self) -> npt.NDArray[np.float64]:
        """The 3 x 3 matrix from world-image pixels (u, v, 1) to ground (east_m, north_m, 1)."""
        half = self.size_px / 2
        res = self.metres_per_px
        return np.array([[res, 0.0, -half * res], [0.0, -res, half * res], [0.0, 0.0, 1.0]])

    def to_px(self, east_m: float, north_m: float) -> tuple[int, int]:
        half = self.size_px / 2
        return (int(half + east_m / self.metres_per_px), int(half - north_m / self.metres_per_px))


@functools.lru_cache(maxsize=4)
def build_world(size_px: int = 4096, metres_per_px: float = 0.5, seed: int = 7) -> World:
    """Render the world once (a fraction of a second for the default 2 km square)."""
    rng = np.random.default_rng(seed)
    half_m = size_px * metres_per_px / 2
    image = np.empty((size_px, size_px, 3), np.uint8)

    # Fields: a patchwork of greens and yellows with furrows.
    image[:] = (60, 120, 70)
    block_px = 160
    for v in range(0, size_px, block_px):
        for u in range(0, size_px, block_px):
            colour = rng.choice([(50, 130, 60), (70, 150, 110), (60, 170, 170), (40, 100, 50),
                                 (80, 140, 90)])
            image[v : v + block_px, u : u + block_px] = colour
    furrows = (np.arange(size_px) % 6 < 2).astype(np.int16)[None, :, None] * 12
    image[:] = np.clip(image.astype(np.int16) - furrows, 0, 255).astype(np.uint8)

    # Coast: sea east of a wavy line, a sand beach on the landward side.
    rows = np.arange(size_px)
    coast_u = (0.66 * size_px + 0.04 * size_px * np.sin(rows / size_px * 2 * math.pi * 3)
               + 0.015 * size_px * np.sin(rows / size_px * 2 * math.pi * 11)).astype(int)
    beach_px = int(40 / metres_per_px)
    cols = np.arange(size_px)[None, :]
    sea = cols >= coast_u[:, None]
    beach = (cols >= (coast_u - beach_px)[:, None]) & ~sea
    coarse = rng.normal(0, 1, (size_px // 8, size_px // 8)).astype(np.float32)
    noise = cv2.resize(coarse, (size_px, size_px), interpolation=cv2.INTER_CUBIC)
    waves = (np.sin(cols / 9.0 + rows[:, None] / 23.0) * 10 + noise * 8).astype(np.int16)
    sea_img = np.clip(np.array(SEA_BGR, np.int16)[None, None, :] + waves[:, :, None], 0, 255)
    image[sea] = sea_img.astype(np.uint8)[sea]
    image[beach] = SAND_BGR

    # Roads: a grid on land plus a coast road.
    roads: list[Road] = []
    road_px = max(2, int(ROAD_WIDTH_M / metres_per_px))
    spacing_m = 250.0
    land_edge_m = (0.6 * size_px - size_px / 2) * metres_per_px
    for k in np.arange(-half_m + spacing_m / 2, land_edge_m, spacing_m):
        roads.append(Road((float(k), -half_m), (float(k), half_m)))
    for k in np.arange(-half_m + spacing_m / 2, half_m, spacing_m):
        roads.append(Road((-half_m, float(k)), (land_edge_m, float(k))))
    for road in roads:
        p0 = (int(road.start_m[0] / metres_per_px + size_px / 2),
              int(size_px / 2 - road.start_m[1] / metres_per_px))
        p1 = (int(road.end_m[0] / metres_per_px + size_px / 2),
              int(size_px / 2 - road.end_m[1] / metres_per_px))
        cv2.line(image, p0, p1, ROAD_BGR, road_px)
        cv2.line(image, p0, p1, (230, 230, 230), 1, lineType=cv2.LINE_8)

    # Buildings: blocks next to the roads in the western half (the town).
    spacing_px = int(spacing_m / metres_per_px)
    for _ in range(1400):
        u = int(rng.integers(0, int(0.55 * size_px)))
        v = int(rng.integers(0, size_px))
        if min((u - size_px // 2 + spacing_px // 2) % spacing_px,
               (v - size_px // 2 + spacing_px // 2) % spacing_px) < road_px + 6:
            continue
        w, h = (int(x) for x in rng.integers(14, 60, 2))
        roof = tuple(int(c) for c in rng.choice([(70, 70, 160), (160, 160, 160), (60, 90, 120),
                                                 (200, 200, 205), (90, 60, 50)]))
        cv2.rectangle(image, (u + 4, v + 4), (u + w + 4, v + h + 4), (30, 40, 30), -1)
        cv2.rectangle(image, (u, v), (u + w, v + h), roof, -1)
        cv2.line(image, (u, v + h // 2), (u + w, v + h // 2), (40, 40, 40), 1)

    # People: dots on the beach and by the roads.
    for _ in range(600):
        v = int(rng.integers(0, size_px))
        u = int(coast_u[v] - rng.integers(2, beach_px))
        cv2.circle(image, (u, v), 2, tuple(int(c) for c in rng.integers(0, 255, 3)), -1)
    for _ in range(600):
        road = roads[int(rng.integers(0, len(roads)))]
        e, n = road.point_at(float(rng.uniform(0, road.length_m)))
        u = int(e / metres_per_px + size_px / 2) + int(rng.choice([-1, 1])) * (road_px // 2 + 3)
        v = int(size_px / 2 - n / metres_per_px)
        cv2.circle(image, (u, v), 2, (20, 20, 200), -1)

    vehicles = tuple(
        Vehicle(
            road=roads[int(rng.integers(0, len(roads)))],
            offset_m=float(rng.uniform(0, 2000)),
            speed_m_s=float(rng.choice([-1, 1]) * rng.uniform(6, 16)),
            colour_bgr=tuple(int(c) for c in rng.integers(30, 255, 3)),  # type: ignore[arg-type]
        )
        for _ in range(120)
    )
    image.setflags(write=False)
    return World(image=image, metres_per_px=metres_per_px, roads=tuple(roads), vehicles=vehicles)
