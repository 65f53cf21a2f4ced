"""A per-process TTL cache emptied when this process commits a write of the models it watches (decision 0155).

The configuration cache (0112) and the viewer scope cache (0154) are its users. Values are kept per database
and key for `ttl_seconds`:

- a commit in *this* process that wrote a watched model (ORM flush, or an ORM bulk INSERT/UPDATE/DELETE on
  its table) empties the cache at commit, so the next read sees the change at once;
- a change made by another process (a second worker, a migration, SQL by hand, a textual statement) is seen
  within `ttl_seconds`, never later;
- a transaction that itself wrote watched rows (flushed or still pending) neither reads nor fills the cache;
- a value loaded while a commit emptied the cache is not stored (generation check), so an older value read
  concurrently by another greenthread cannot outlive the change;
- at most `max_entries` values are kept (expired ones go first, then the oldest).

`ttl_seconds <= 0` switches the cache off.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

T = TypeVar("T")


class WriteInvalidatedCache:
    """A cache of values loaded through a session, forgotten when this process commits a write of `models`."""

    def __init__(self, name: str, models: tuple[type[Any], ...], *, ttl_seconds: float, max_entries: int) -> None:
        self.models = models
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self.entries: dict[tuple[Any, Hashable], tuple[float, int, Any]] = {}
        self._tables = frozenset(m.__tablename__ for m in models)
        self._wrote = f"cases.{name}_written"  # session.info flag: this transaction wrote a watched model
        self._generation = 0
        # process-wide, like the caches themselves: every session of this process is watched
        event.listen(Session, "after_flush", self._after_flush)
        event.listen(Session, "do_orm_execute", self._on_execute)
        event.listen(Session, "after_commit", self._after_commit)
        event.listen(Session, "after_rollback", self._after_rollback)

    def cached(self, session: Session, key: Hashable, load: Callable[[Session], T]) -> T:
        """`load(session)`, or its value for `key` in the same database from the last `ttl_seconds`."""
        if self.ttl_seconds <= 0 or self._writes(session):
            return load(session)
        full_key = (session.get_bind().engine.url, key)
        now = time.monotonic()
        hit = self.entries.get(full_key)
        if hit is not None and hit[1] == self._generation and now - hit[0] < self.ttl_seconds:
            return hit[2]
        generation = self._generation
        value = load(session)
        if generation == self._generation and not self._writes(session):
            self.entries.pop(full_key, None)
            if len(self.entries) >= self.max_entries:
                self._evict(now)
            self.entries[full_key] = (now, generation, value)
        return value

    def clear(self) -> None:
        """Forget every value (a watched model changed here; tests)."""
        self._generation += 1
        self.entries.clear()  # in place: users may hold a reference to the dict

    def _evict(self, now: float) -> None:
        for k in [k for k, (at, _, _) in self.entries.items() if now - at >= self.ttl_seconds]:
            del self.entries[k]
        while self.entries and len(self.entries) >= self.max_entries:  # all fresh: the oldest goes (insertion order)
            del self.entries[next(iter(self.entries))]

    def _touches(self, session: Session) -> bool:
        return any(isinstance(o, self.models) for o in (*session.new, *session.dirty, *session.deleted))

    def _writes(self, session: Session) -> bool:
        return bool(session.info.get(self._wrote)) or self._touches(session)

    def _after_flush(self, session: Session, _context: Any) -> None:
        if self._touches(session):
            session.info[self._wrote] = True

    def _on_execute(self, state: ORMExecuteState) -> None:
        """ORM bulk statements (`session.execute(delete(GroupMember)...)`) bypass the flush."""
        if not (state.is_insert or state.is_update or state.is_delete):
            return
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in self._tables:
            state.session.info[self._wrote] = True

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(self._wrote, False):
            self.clear()

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(self._wrote, None)
