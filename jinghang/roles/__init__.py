"""Roles of ``jinghang serve`` beyond ``all``: the link worker and the API node on the NATS bus.

:mod:`~jinghang.roles.protocol` (commands across the bus), :mod:`~jinghang.roles.link_worker`,
:mod:`~jinghang.roles.remote_fleet` (the API node's fleet) and :mod:`~jinghang.roles.serve`
(what ``--role`` runs). See docs/SCALE-OUT.md.
"""
