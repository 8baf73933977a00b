"""The route parameter types that carry the input limits of :mod:`jinghang.limits`: ids,
offsets and sequence numbers within SQLite's signed 64-bit integers, drone ids (the register's
key, not the MAVLink system id a drone speaks) in 1..2^31-1, and catalog ids of a bounded
length. Routes declare their parameters with these, so a value out of range is a 422 naming
the parameter and the limit, never a database error."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from jinghang.limits import MAX_DB_INT, MAX_DRONE_ID

#: A stored row's id in a path (incidents, missions, patrols).
RowId = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="a stored id, 1..2^63-1")]
#: An optional filter on a stored row's id.
RowIdFilter = Annotated[
    int | None, Query(ge=1, le=MAX_DB_INT, description="a stored id, 1..2^63-1")
]
#: A drone (its id in the register) in a path.
DroneId = Annotated[
    int, Path(ge=1, le=MAX_DRONE_ID, description="the drone's id in the register, 1..2^31-1")
]
#: An optional filter on a drone (its id in the register).
DroneIdFilter = Annotated[
    int | None,
    Query(ge=1, le=MAX_DRONE_ID, description="the drone's id in the register, 1..2^31-1"),
]
#: How many rows to skip.
Offset = Annotated[int, Query(ge=0, le=MAX_DB_INT, description="rows to skip, 0..2^63-1")]
#: Entries after this sequence number.
AfterSeq = Annotated[int, Query(ge=0, le=MAX_DB_INT, description="0..2^63-1")]
#: A catalog id in a path: a template (``SAF-01``) or a playbook (``P07``).
CatalogId = Annotated[str, Path(min_length=1, max_length=32, description="a catalog id")]
#: A short text filter in a query (a state, an actor, an action).
TextFilter = Annotated[str | None, Query(max_length=200)]
