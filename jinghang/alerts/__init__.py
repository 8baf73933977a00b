"""Alerts as server state: what each message code means (:mod:`.codes`), which bus events
raise which alert (:mod:`.rules`), and the service that stores, de-duplicates, publishes and
acknowledges them (:mod:`.service`)."""

from jinghang.alerts.codes import CODES, Severity
from jinghang.alerts.rules import Raised, Rules
from jinghang.alerts.service import AlertService

__all__ = ["CODES", "AlertService", "Raised", "Rules", "Severity"]
