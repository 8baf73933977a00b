"""The one place that bounds what a user may send: body sizes, string lengths, id ranges,
geometry sizes, file inflation and nesting, and the CPU worker pool's size and time limit.

:class:`Limits` is a settings section (``Settings.limits``, environment
``JINGHANG_LIMITS__<FIELD>``); request schemas, the body-size middleware, the file parsers and
the worker pool all read their bounds from here (the module-level :data:`DEFAULT_LIMITS` for
code that has no settings at hand, such as Pydantic field declarations and the CLI).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

#: The largest id, offset or sequence number a route accepts: SQLite's INTEGER is signed 64-bit.
MAX_DB_INT = 2**63 - 1
#: The largest drone id (the register's key, chosen by the user): PostgreSQL's INTEGER.
MAX_DRONE_ID = 2**31 - 1
#: MAVLink system ids a drone may speak: 0 is broadcast, 255 the ground station's.
MAVLINK_SYSTEM_IDS = (1, 254)


class Limits(BaseModel):
    """Bounds on every input, with the reason for each figure in its description."""

    #: A JSON request body: a 10,000-vertex area is ~0.5 MB as JSON, so 1 MiB leaves room.
    json_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    #: A file upload (KMZ/KML/GeoJSON/.plan): a county's worth of fields fits in 16 MiB.
    upload_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    #: Inflated size of all members of a KMZ together; checked on the ZIP directory first.
    kmz_inflated_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    #: Inflated over compressed size of any KMZ member; real KML compresses ~10-20x.
    kmz_ratio: float = Field(default=100.0, gt=1.0)
    #: Members in a KMZ archive (a KML and its icons and overlays).
    kmz_members: int = Field(default=1000, ge=1)
    #: Nesting of JSON arrays/objects in GeoJSON and .plan files, and of KML elements.
    nesting_depth: int = Field(default=64, ge=8)
    #: Vertices of one polygon or route: a 10 km survey boundary traced every 1 m is 10,000.
    vertices: int = Field(default=10_000, ge=3)
    #: Features (areas, routes, points) read from one file.
    features: int = Field(default=1000, ge=1)
    #: Short names: titles, user names, template and playbook ids, tags.
    name_chars: int = Field(default=200, ge=16)
    #: Free text: incident descriptions, notes, reasons.
    text_chars: int = Field(default=10_000, ge=256)
    #: The excerpt of a refused value echoed in an error (never the whole value).
    echo_chars: int = Field(default=80, ge=16)
    #: Worker processes for CPU-heavy work (plan compilation, previews, file parsing).
    worker_processes: int = Field(default=2, ge=1, le=64)
    #: Jobs waiting for a worker beyond which a request is refused with 503 (Retry-After).
    worker_queue: int = Field(default=16, ge=1)
    #: Wall-clock limit of one CPU job (a preview, a file parse); exceeded -> 504.
    cpu_timeout_s: float = Field(default=10.0, gt=0.0)


DEFAULT_LIMITS = Limits()
