"""Status rules (B2/B3): which moves are allowed, and how replies move a case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.cases import AuthorType, Status
from contracts.errors import InvalidTransition

# dormant is active too: it sleeps, but is neither resolved nor closed
ACTIVE = frozenset({Status.NEW, Status.OPEN, Status.WAITING, Status.DORMANT})

# target statuses reachable from each status; "new" is only ever a starting point
_ALLOWED: dict[Status, frozenset[Status]] = {
    Status.NEW: frozenset({Status.OPEN, Status.WAITING, Status.DORMANT, Status.RESOLVED, Status.CLOSED}),
    Status.OPEN: frozenset({Status.WAITING, Status.DORMANT, Status.RESOLVED, Status.CLOSED}),
    Status.WAITING: frozenset({Status.OPEN, Status.DORMANT, Status.RESOLVED, Status.CLOSED}),
    Status.DORMANT: frozenset({Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.WAITING, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}


def check_transition(*, current: Status, target: Status, has_assignee: bool, actor_type: AuthorType) -> None:
    """Raise InvalidTransition unless `current -> target` is allowed for this actor."""
    if current == target:
        return
    if target not in _ALLOWED[current]:
        raise InvalidTransition(
            message=f"a case cannot move from {current} to {target}",
            details={"from": current.value, "to": target.value},
        )
    if current == Status.NEW and not has_assignee:
        raise InvalidTransition(
            message="a case needs an assignee to leave new",
            details={"from": current.value, "to": target.value, "missing": "assignee_id"},
        )
    if current == Status.CLOSED and actor_type == AuthorType.CONTACT:
        raise InvalidTransition(
            message="only an agent can reopen a closed case", details={"from": current.value, "to": target.value}
        )


def status_after_agent_reply(current: Status, *, has_assignee: bool) -> Status:
    """An agent's public reply puts a new/open case in waiting on the contact."""
    if current == Status.OPEN or (current == Status.NEW and has_assignee):
        return Status.WAITING
    return current


def status_after_contact_reply(current: Status, *, reopens: bool = True) -> Status:
    """A contact's reply reopens a waiting, dormant or resolved case (when the setting says so); closed stays closed."""
    if current == Status.DORMANT or (reopens and current in (Status.WAITING, Status.RESOLVED)):
        return Status.OPEN
    return current


@dataclass(frozen=True)
class Timestamps:
    resolved_at: datetime | None
    closed_at: datetime | None


def timestamps_after(*, target: Status, previous: Timestamps, now: datetime) -> Timestamps:
    """resolved_at/closed_at once a case reaches `target`: set on arrival, cleared when it becomes active again."""
    if target in ACTIVE:
        return Timestamps(resolved_at=None, closed_at=None)
    if target == Status.RESOLVED:
        return Timestamps(resolved_at=previous.resolved_at or now, closed_at=None)
    # closed: a case closed without passing through resolved was resolved at the same moment
    return Timestamps(resolved_at=previous.resolved_at or now, closed_at=previous.closed_at or now)


def is_first_response(*, author_type: AuthorType, public: bool, first_response_at: datetime | None) -> bool:
    """The first public message by an agent is the case's first response."""
    return author_type == AuthorType.AGENT and public and first_response_at is None
