"""A checked MAVLink frame whose payload pymavlink decodes only when a field is first read.

The channel (:mod:`jinghang.mavlink.channel`) has already split the frame, checked its CRC and
applied the signing policy; what is left, the payload, is most of the cost of a frame, and a
fleet's vehicles send many message types nobody reads (a forward to QGroundControl relays
them as their raw bytes). A :class:`LazyMessage` answers the header questions the router,
link trust and the fleet ask (type, source ids, raw bytes, signed) without decoding; the
first read of anything else (a field, ``pack``, ``to_dict``) has pymavlink decode the frame,
after which the object *is* the decoded pymavlink message (same class, same attributes).
"""

from __future__ import annotations

from typing import Any

from jinghang.mavlink.dialect import mavlink

#: decodes payloads only: it holds no key, so it checks no signature (the channel did)
_DECODER = mavlink.MAVLink(None, 0, 0)


class LazyMessage:
    """One received frame, decoded on first use (see the module's docstring)."""

    def __init__(
        self,
        name: str,
        msgbuf: bytearray,
        header: Any,
        signed: bool,
        link_id: int | None,
    ) -> None:
        self._type = name
        self._msgbuf = msgbuf
        self._header = header
        self._signed = signed
        self._link_id = link_id

    def get_type(self) -> str:
        return self._type

    def get_msgId(self) -> int:
        return int(self._header.msgId)

    def get_srcSystem(self) -> int:
        return int(self._header.srcSystem)

    def get_srcComponent(self) -> int:
        return int(self._header.srcComponent)

    def get_seq(self) -> int:
        return int(self._header.seq)

    def get_header(self) -> Any:
        return self._header

    def get_msgbuf(self) -> bytearray:
        return self._msgbuf

    def get_signed(self) -> bool:
        return self._signed

    def get_link_id(self) -> int | None:
        return self._link_id

    def decode(self) -> Any:
        """Become the pymavlink message this frame holds (and return it)."""
        if type(self) is not LazyMessage:
            return self
        decoded = _DECODER.decode(bytearray(self._msgbuf))
        signed, link_id = self._signed, self._link_id
        self.__dict__.update(decoded.__dict__)
        self._signed, self._link_id = signed, link_id
        self.__class__ = type(decoded)  # type: ignore[assignment]
        return self

    def __getattr__(self, name: str) -> Any:
        # only called for what this object does not have: a field or a pymavlink method
        if name.startswith("__") or type(self) is not LazyMessage:
            raise AttributeError(name)
        try:
            self.decode()
        except Exception as error:  # a payload pymavlink cannot decode: no such field
            raise AttributeError(name) from error
        return getattr(self, name)

    def __str__(self) -> str:
        return str(self.decode())

    def __eq__(self, other: object) -> bool:
        return bool(self.decode() == other)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]
