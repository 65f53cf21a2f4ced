"""A short-lived, per-process cache of each viewer's scope (decision 0154, issue 6 read path).

Every inbox view, list, count and search first loads the caller's scope: the agent, its group
memberships and the restricted groups (`filters.load_scope`, one statement, ~19% of a view's CPU in
the cases worker). Memberships change a few times a month, so the scope of a viewer
(database, agent id, is_admin) is kept for `TTL_SECONDS` (1 s) in this process:

- a commit in *this* process that wrote an `Agent`, `Group` or `GroupMember` row (ORM flush, or an
  ORM bulk INSERT/UPDATE/DELETE on those tables) empties the cache at commit, so removing an agent
  from a restricted group here takes effect on the next request at once;
- another process (a second cases worker, SQL by hand) is seen within `TTL_SECONDS`: until then a
  viewer there may keep the access they had — never more than that, never longer;
- a transaction that itself wrote those rows (flushed or pending) never reads or fills the cache;
- a scope loaded while a commit changed memberships is not stored (generation check);
- at most `MAX_ENTRIES` scopes are kept (the oldest goes first).

`HELPDESK_SCOPE_CACHE_SECONDS=0` switches the cache off.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from cases.db.models import Agent, Group, GroupMember

T = TypeVar("T")

TTL_SECONDS = float(os.environ.get("HELPDESK_SCOPE_CACHE_SECONDS", "1.0"))
MAX_ENTRIES = 4096
SCOPE_MODELS: tuple[type[Any], ...] = (Agent, Group, GroupMember)
_SCOPE_TABLES = frozenset(m.__tablename__ for m in SCOPE_MODELS)
_WROTE = "cases.scope_written"  # session.info flag: this transaction wrote agents, groups or memberships

_generation = 0
_entries: dict[tuple[Any, ...], tuple[float, int, Any]] = {}


def cached(session: Session, key: tuple[Any, ...], load: Callable[[Session], T]) -> T:
    """`load(session)`, or its value from the last `TTL_SECONDS` for `key` in the same database."""
    if TTL_SECONDS <= 0 or _writes_scope(session):
        return load(session)
    full_key = (session.get_bind().engine.url, *key)
    now = time.monotonic()
    hit = _entries.get(full_key)
    if hit is not None and hit[1] == _generation and now - hit[0] < TTL_SECONDS:
        return hit[2]
    generation = _generation
    value = load(session)
    if generation == _generation and not _writes_scope(session):
        _entries.pop(full_key, None)
        if len(_entries) >= MAX_ENTRIES:
            _evict(now)
        _entries[full_key] = (now, generation, value)
    return value


def clear() -> None:
    """Forget every cached scope (a membership change committed here; tests)."""
    global _generation
    _generation += 1
    _entries.clear()


def _evict(now: float) -> None:
    for k in [k for k, (at, _, _) in _entries.items() if now - at >= TTL_SECONDS]:
        del _entries[k]
    while len(_entries) >= MAX_ENTRIES:  # all fresh: drop the oldest (dicts keep insertion order)
        del _entries[next(iter(_entries))]


def _is_scope(obj: object) -> bool:
    return isinstance(obj, SCOPE_MODELS)


def _writes_scope(session: Session) -> bool:
    if session.info.get(_WROTE):
        return True
    return any(_is_scope(o) for o in (*session.new, *session.dirty, *session.deleted))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    if any(_is_scope(o) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    """ORM bulk statements (`session.execute(delete(GroupMember)...)`) bypass the flush."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in _SCOPE_TABLES:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_WROTE, False):
        clear()


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_WROTE, None)
