"""JSON bodies rendered by orjson: :func:`encode_json`, and :class:`JSONBytesResponse` for a
body that is already encoded (a cached one).

orjson renders the compact form the standard library's ``JSONResponse`` sends (no spaces,
UTF-8, not ASCII-escaped) several times faster. A float that JSON cannot carry (NaN, Infinity,
-Infinity) is rendered as ``null``, never as the invalid ``NaN``; keys that are not strings
(an int drone id) become strings, as ``json.dumps`` makes them. A value orjson cannot encode
raises ``TypeError`` (``orjson.JSONEncodeError``), as ``json.dumps`` would.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response

_OPTIONS = orjson.OPT_NON_STR_KEYS


def encode_json(content: Any) -> bytes:
    """``content`` as a JSON document (non-finite floats as ``null``)."""
    return orjson.dumps(content, option=_OPTIONS)


class JSONBytesResponse(Response):
    """A response whose body is a JSON document already encoded (by :func:`encode_json`)."""

    media_type = "application/json"
