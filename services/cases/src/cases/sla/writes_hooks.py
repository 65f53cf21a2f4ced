"""Keep the SLA of a case right in the transaction of every change to it (decision 0076).

Cases change in many places (case commands and edits, the dormancy timer, merges, templates, SMS and mail
intake). Rather than a call in each, every flush notes the cases that are new or whose status, priority,
type, group or first response changed, and re-applies their SLA before the rows are written, so the
`case_*` events built after a flush already carry the new `sla_state`. A case inserted by the last flush
is handled just before the commit. Writes that bypass the ORM (bulk COPY) call `service.recompute_cases`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from cases.case.tables import Case, CaseHistory
from cases.sla import writes as sla_writes
from chassis.db import utcnow

# the attributes an SLA clock depends on (created_at: when it started)
WATCHED = ("status", "priority", "type_id", "group_id", "first_response_at", "created_at")
_KEY = "sla_dirty_cases"
_INSERTED = "sla_inserted_cases"  # ids of pending cases that were new at their flush


def _changed(case: Case) -> bool:
    state = inspect(case)
    return any(state.attrs[name].history.has_changes() for name in WATCHED)


def _pending(session: Session) -> dict[int, Case]:
    found: dict[int, Case] = session.info.setdefault(_KEY, {})
    return found


def _apply(session: Session) -> None:
    pending = _pending(session)
    ready = [c for c in pending.values() if c.id is not None]
    if not ready:
        return
    # history rows of this flush get their time now, so the clock sees the very instant they record
    for obj in session.new:
        if isinstance(obj, CaseHistory) and obj.created_at is None:
            obj.created_at = utcnow()
    inserted: set[int] = session.info.setdefault(_INSERTED, set())
    with session.no_autoflush:
        for case in ready:
            del pending[id(case)]
            first = id(case) in inserted  # just inserted: it has no target rows yet, no need to look
            inserted.discard(id(case))
            if case in session and not inspect(case).deleted:
                sla_writes.recompute_case(session, case, targets=[] if first else None)


def _note_and_apply(session: Session, _context: Any, _instances: Any) -> None:
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Case) and (obj in session.new or _changed(obj)):
            _pending(session)[id(obj)] = obj
            if obj in session.new:
                session.info.setdefault(_INSERTED, set()).add(id(obj))
    if session.info.get(_KEY):
        _apply(session)


def _apply_inserted(session: Session) -> None:
    if session.info.get(_KEY):
        session.flush()  # a case inserted by the last flush now has its id
        _apply(session)


def _forget(session: Session, previous: Any) -> None:
    if getattr(previous, "nested", False):
        return  # a savepoint rolled back: the outer transaction's changes still stand
    session.info.pop(_KEY, None)
    session.info.pop(_INSERTED, None)
    session.info.pop("sla_policies", None)


def _forget_cache(session: Session) -> None:
    session.info.pop("sla_policies", None)


_LISTENERS = (
    ("before_flush", _note_and_apply),
    ("before_commit", _apply_inserted),
    ("after_soft_rollback", _forget),
    ("after_commit", _forget_cache),
)


def install() -> None:
    """Listen on every ORM session of this process (idempotent): the worker calls it when it starts."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
