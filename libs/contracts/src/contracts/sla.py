"""Contracts of service-level agreements (B13, issue 6): events on `cases.events`.

The SLA work in the cases service fills in policies, calendars and the RPC payloads here; the two
events below are fixed first because notifications and reports consume them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from contracts.cases import CaseRead
from contracts.envelope import EventPayload


class SlaMetric(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class SlaState(StrEnum):
    """The SLA state of a case, as shown in lists and filtered on."""

    NONE = "none"  # no policy applies
    OK = "ok"
    WARNING = "warning"  # past the warning threshold of a running target
    BREACHED = "breached"
    PAUSED = "paused"  # waiting on the contact or dormant: the clock does not run
    MET = "met"  # every target was met and none is running


class SlaWarning(EventPayload):
    """A running target passed its warning threshold; emitted once per case, metric and due time."""

    EVENT_TYPE = "sla_warning"
    case: CaseRead
    metric: SlaMetric
    due_at: datetime
    policy_id: int
    policy_name: str = ""


class SlaBreached(EventPayload):
    """A running target passed its due time unmet; emitted once per case, metric and due time."""

    EVENT_TYPE = "sla_breached"
    case: CaseRead
    metric: SlaMetric
    due_at: datetime
    policy_id: int
    policy_name: str = ""
