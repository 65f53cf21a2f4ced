"""Contracts of service-level agreements (B13): events on `cases.events`.

The SLA work in the cases service fills in policies, calendars and the RPC payloads here; the two
events below are fixed first because notifications and reports consume them.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.bounds import Flag, Id
from contracts.cases import CaseRead, Priority, Status
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


# -- RPC / REST payloads ------------------------------------------------------------

OFFICE_HOURS: dict[str, list[tuple[str, str]]] = {
    day: [("08:00", "16:00")] for day in ("mon", "tue", "wed", "thu", "fri")
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


Clock = Annotated[str, Field(max_length=8)]  # "HH:MM"
# ["HH:MM", "HH:MM"]: a two-item list rather than a tuple, whose `prefixItems` schema not every OpenAPI tool reads
Window = Annotated[list[Clock], Field(min_length=2, max_length=2)]
Windows = Annotated[list[Window], Field(max_length=24)]  # of one weekday


class BusinessCalendarWrite(_Model):
    """Opening hours in a time zone (wall-clock), minus the public holidays of a country/region and extra dates."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(default="UTC", min_length=1, max_length=64, description="IANA zone, e.g. Europe/Oslo")
    hours: dict[Annotated[str, Field(max_length=3)], Windows] = Field(
        max_length=7,
        default_factory=lambda: {day: [list(span) for span in spans] for day, spans in OFFICE_HOURS.items()},
        description='per weekday (mon..sun) a list of ["HH:MM", "HH:MM"] windows; a missing day is closed',
    )
    country: str | None = Field(default=None, min_length=2, max_length=3, description="ISO 3166 code for holidays")
    subdivision: str | None = Field(default=None, max_length=10, description="region code, e.g. BY for Bavaria")
    closed_dates: list[date] = Field(default_factory=list, max_length=1000, description="extra closed days")

    @field_validator("country", "subdivision")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.strip().upper() or None if value else None


class BusinessCalendarRead(BusinessCalendarWrite):
    model_config = ConfigDict(extra="ignore")

    id: int
    created_at: datetime


class SlaPolicyWrite(_Model):
    """Targets for the cases it matches: empty criteria match anything; the most specific policy wins."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    priority: Priority | None = None
    type_id: Id | None = Field(default=None)
    group_id: Id | None = Field(default=None)
    first_response_minutes: int | None = Field(default=None, ge=1, le=525_600)
    resolution_minutes: int | None = Field(default=None, ge=1, le=525_600)
    calendar_id: Id | None = Field(default=None, description="none: around the clock (24/7, UTC)")
    warning_percent: int = Field(default=80, ge=1, le=99, description="warn when this share of a target is used")
    active: Flag = True

    @model_validator(mode="after")
    def _has_a_target(self) -> SlaPolicyWrite:
        if self.first_response_minutes is None and self.resolution_minutes is None:
            raise ValueError("a policy needs first_response_minutes or resolution_minutes")
        return self


class SlaPolicyRead(SlaPolicyWrite):
    model_config = ConfigDict(extra="ignore")

    id: int
    created_at: datetime
    updated_at: datetime


class SlaPeriodKind(StrEnum):
    COUNTED = "counted"  # the clock ran (only open business time counts)
    PAUSED = "paused"  # waiting on the contact or dormant
    STOPPED = "stopped"  # resolved or closed


class SlaPeriod(_Model):
    start: datetime
    end: datetime
    status: Status
    kind: SlaPeriodKind
    business_minutes: float


class SlaTargetState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    STOPPED = "stopped"


class SlaTargetRead(_Model):
    metric: SlaMetric
    target_minutes: int
    warning_percent: int
    state: SlaTargetState
    due_at: datetime | None
    warn_at: datetime | None
    met_at: datetime | None
    elapsed_minutes: float
    breached: bool
    warning_sent: bool = False
    breach_sent: bool = False
    periods: list[SlaPeriod] = Field(default_factory=list)


class SlaPolicyRef(_Model):
    id: int
    name: str


class CaseSla(_Model):
    """Why a case has its SLA state: the policy, its calendar, and per target the periods that counted or paused."""

    case_id: int
    state: SlaState
    due_at: datetime | None
    policy: SlaPolicyRef | None
    calendar: str
    timezone: str
    computed_at: datetime
    targets: list[SlaTargetRead]
