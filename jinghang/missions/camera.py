"""The camera model of a survey: sensor, focal length and image size give the ground footprint
and ground sampling distance (GSD) at an altitude, and with the overlaps the lane spacing and
the trigger distance. The image's long side lies across the track (landscape), as QGC does."""

from __future__ import annotations

from dataclasses import dataclass

from jinghang.missions.errors import ParameterError


@dataclass(frozen=True, slots=True)
class CameraModel:
    """A frame camera pointing straight down."""

    name: str = "DJI Phantom 4 Pro (FC6310)"
    sensor_width_mm: float = 13.2
    sensor_height_mm: float = 8.8
    focal_length_mm: float = 8.8
    image_width_px: int = 5472
    image_height_px: int = 3648

    def __post_init__(self) -> None:
        for field in ("sensor_width_mm", "sensor_height_mm", "focal_length_mm"):
            value = getattr(self, field)
            if not value > 0:
                raise ParameterError(
                    f"camera {field} must be positive, got {value}",
                    field=field,
                    value=value,
                    limit="> 0",
                )
        for field in ("image_width_px", "image_height_px"):
            value = getattr(self, field)
            if not value >= 1:
                raise ParameterError(
                    f"camera {field} must be at least 1 pixel, got {value}",
                    field=field,
                    value=value,
                    limit=">= 1",
                )

    def gsd_cm_px(self, altitude_m: float) -> float:
        """Ground sampling distance at ``altitude_m`` above ground, in centimetres per pixel."""
        return (
            100.0 * altitude_m * self.sensor_width_mm / (self.focal_length_mm * self.image_width_px)
        )

    def altitude_for_gsd_m(self, gsd_cm_px: float) -> float:
        """The altitude that gives ``gsd_cm_px``."""
        return gsd_cm_px / 100.0 * self.focal_length_mm * self.image_width_px / self.sensor_width_mm

    def footprint_m(self, altitude_m: float) -> tuple[float, float]:
        """(across-track, along-track) size of one image on the ground."""
        across = altitude_m * self.sensor_width_mm / self.focal_length_mm
        along = altitude_m * self.sensor_height_mm / self.focal_length_mm
        return across, along

    def lane_spacing_m(self, altitude_m: float, side_overlap_pct: float) -> float:
        return self.footprint_m(altitude_m)[0] * (1.0 - side_overlap_pct / 100.0)

    def trigger_distance_m(self, altitude_m: float, front_overlap_pct: float) -> float:
        return self.footprint_m(altitude_m)[1] * (1.0 - front_overlap_pct / 100.0)


#: Cameras the catalog and the CLI name with ``--param camera=...``.
CAMERAS: dict[str, CameraModel] = {
    "phantom4pro": CameraModel(),
    "mavic3e": CameraModel("DJI Mavic 3 Enterprise", 17.3, 13.0, 12.29, 5280, 3956),
    "zenmuse_p1_35mm": CameraModel("DJI Zenmuse P1 35 mm", 35.9, 24.0, 35.0, 8192, 5460),
    "h20t_thermal": CameraModel("DJI Zenmuse H20T thermal", 7.68, 6.14, 13.5, 640, 512),
}
