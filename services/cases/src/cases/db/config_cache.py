"""A short-lived, per-process cache of workspace configuration (decision 0112).

Settings, field configuration, custom field definitions and statuses are read by every case created or
message posted, and change a few times a year. Each is kept for `TTL_SECONDS` (1 s) per process:

- a change committed by *this* process (the admin RPCs run in the same worker) empties the cache at
  commit, so the next read sees it at once;
- a change committed by another process (a second cases worker, a migration, SQL by hand) is seen
  within `TTL_SECONDS`;
- a transaction that itself wrote configuration (flushed or still pending) never reads the cache;
- a value loaded while a commit changed the configuration is not stored (generation check), so an
  older value read concurrently by another greenthread cannot outlive the change.

`HELPDESK_CONFIG_CACHE_SECONDS=0` switches the cache off.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session

from cases.db.models import CaseStatus, CustomField, FieldConfig, Setting

T = TypeVar("T")

TTL_SECONDS = float(os.environ.get("HELPDESK_CONFIG_CACHE_SECONDS", "1.0"))
CONFIG_MODELS: tuple[type[Any], ...] = (Setting, FieldConfig, CustomField, CaseStatus)
_WROTE = "cases.config_written"  # session.info flag: this transaction flushed configuration rows

_generation = 0
_entries: dict[str, tuple[float, int, Any]] = {}


def cached(session: Session, name: str, load: Callable[[Session], T]) -> T:
    """`load(session)`, or its value from the last `TTL_SECONDS` when nothing changed the configuration since."""
    if TTL_SECONDS <= 0 or _writes_config(session):
        return load(session)
    now = time.monotonic()
    hit = _entries.get(name)
    if hit is not None and hit[1] == _generation and now - hit[0] < TTL_SECONDS:
        return hit[2]
    generation = _generation
    value = load(session)
    if generation == _generation:
        _entries[name] = (now, generation, value)
    return value


def clear() -> None:
    """Forget every cached value (a configuration change committed here; tests)."""
    global _generation
    _generation += 1
    _entries.clear()


def _is_config(obj: object) -> bool:
    return isinstance(obj, CONFIG_MODELS)


def _writes_config(session: Session) -> bool:
    if session.info.get(_WROTE):
        return True
    return any(_is_config(o) for o in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if any(_is_config(o) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        clear()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)
