"""Errors of the store: a row that is not there, a duplicate, a database that will not open."""

from __future__ import annotations

from jinghang.errors import StoreError


class NotFound(StoreError):
    """No row with that id (``field`` names the id, ``value`` what was asked)."""

    code = "store.not_found"
    status_code = 404
    title = "Not found"


class AlreadyExists(StoreError):
    """A unique field (username, drone id) is taken."""

    code = "store.exists"
    status_code = 409
    title = "Already exists"


class StoreUnavailable(StoreError):
    """The database cannot be opened or migrated."""

    code = "store.unavailable"
