"""The scale-out bus: NATS subjects and schemas, a NATS-backed event bus and leases.

Nothing here is used by ``jinghang serve`` yet: the single process keeps the in-process
:class:`jinghang.events.EventBus`. See docs/SCALE-OUT.md.
"""
