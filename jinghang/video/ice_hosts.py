"""Which local addresses the gateway's ICE agent offers as host candidates.

aioice (aiortc's ICE agent) leaves 127.0.0.1 out of its host candidates. On a machine whose
only address is loopback (an offline laptop in the field, a command-centre PC with its network
down, a test namespace) the gateway then offers no candidate at all and a viewer on the same
machine never gets a picture. aioice has no option for this, so :func:`apply_loopback_policy`
wraps its address lookup (``aioice.ice.get_host_addresses``) with one that adds 127.0.0.1 as
the policy says:

- ``auto`` (the default): only when the machine has no other address;
- ``always``: beside the other addresses (a viewer elsewhere simply fails that pair);
- ``never``: aioice's own behaviour.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import aioice.ice

LoopbackPolicy = Literal["auto", "always", "never"]
LOOPBACK_V4 = "127.0.0.1"

HostLookup = Callable[[bool, bool], list[str]]


def host_addresses(lookup: HostLookup, use_ipv4: bool, use_ipv6: bool,
                   policy: LoopbackPolicy) -> list[str]:
    """``lookup``'s addresses, with 127.0.0.1 added where ``policy`` asks for it."""
    addresses = [a for a in lookup(use_ipv4, use_ipv6)]
    wants_loopback = policy == "always" or (policy == "auto" and not addresses)
    if use_ipv4 and wants_loopback and LOOPBACK_V4 not in addresses:
        addresses.append(LOOPBACK_V4)
    return addresses


class _PolicyLookup:
    """The replacement for aioice's lookup: the wrapped lookup under one policy."""

    def __init__(self, inner: HostLookup, policy: LoopbackPolicy) -> None:
        self.inner = inner
        self.policy = policy

    def __call__(self, use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return host_addresses(self.inner, use_ipv4, use_ipv6, self.policy)


def apply_loopback_policy(policy: LoopbackPolicy) -> None:
    """Make aioice gather host candidates under ``policy`` (idempotent; the last call wins)."""
    current = aioice.ice.get_host_addresses
    inner = current.inner if isinstance(current, _PolicyLookup) else current
    aioice.ice.get_host_addresses = _PolicyLookup(inner, policy)
