"""Admin statuses on fixed categories, and dormancy (B2): which status a request means, when a case wakes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from contracts.cases import Dormancy, DormantMode, Status
from contracts.errors import UnknownStatus, ValidationFailed


@dataclass(frozen=True)
class StatusDef:
    id: int
    name: str
    category: Status
    builtin: bool = False


def pick(statuses: list[StatusDef], *, status_id: int | None = None, category: Status | None = None) -> StatusDef:
    """The admin status meant by an id, or the built-in one of a category; UnknownStatus otherwise."""
    if status_id is not None:
        for status in statuses:
            if status.id == status_id:
                if category is not None and status.category != category:
                    raise UnknownStatus(
                        message=f"status {status_id} is not in category {category}",
                        details={"status_id": status_id, "status": category.value},
                    )
                return status
        raise UnknownStatus(message=f"no status {status_id}", details={"status_id": status_id})
    if category is None:
        raise UnknownStatus(message="no status given", details={})
    in_category = [s for s in statuses if s.category == category]
    # the built-in status stands for its category; an admin may have renamed it, never removed it
    for status in sorted(in_category, key=lambda s: (not s.builtin, s.id)):
        return status
    raise UnknownStatus(message=f"no status in category {category}", details={"status": category.value})


def dormant_until(dormancy: Dormancy | None, *, now: datetime) -> datetime | None:
    """When a dormant case wakes by itself: never (until further notice), after N days, or at a date."""
    if dormancy is None or dormancy.mode == DormantMode.UNTIL_FURTHER_NOTICE:
        return None
    if dormancy.mode == DormantMode.FOR_PERIOD:
        if dormancy.days is None:
            raise ValidationFailed(message="a dormant period needs days", details={"dormant": {"days": None}})
        return now + timedelta(days=dormancy.days)
    if dormancy.until is None or dormancy.until <= now:
        raise ValidationFailed(
            message="a dormant case needs a wake-up date in the future",
            details={"dormant": {"until": dormancy.until.isoformat() if dormancy.until else None}},
        )
    return dormancy.until


def should_wake(*, status: Status, until: datetime | None, now: datetime) -> bool:
    """A dormant case with a wake-up time that has come goes back to open."""
    return status == Status.DORMANT and until is not None and until <= now


def wake_reason(until: datetime) -> str:
    """The history text of a timer wake-up."""
    return f"dormant period ended at {until.isoformat()}"
