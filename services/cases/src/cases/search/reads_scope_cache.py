"""A short-lived, per-process cache of each viewer's scope (decision 0154, on the read path).

Every inbox view, list, count and search first loads the caller's scope: the agent, its group
memberships and the restricted groups (`filters.load_scope`, one statement, ~19% of a view's CPU in
the cases worker). Memberships change a few times a month, so the scope of a viewer
(database, agent id, is_admin) is kept for `TTL_SECONDS` (1 s) in this process, emptied when this
process commits a write of an `Agent`, `Group` or `GroupMember` (ORM flush or bulk statement): removing
an agent from a restricted group here takes effect on the next request at once; a change made by another
process (a second cases worker, SQL by hand) within `TTL_SECONDS` — until then a viewer there may keep the
access they had, never more than that, never longer. The rules are those of `WriteInvalidatedCache` (0155).

`CASES_SCOPE_CACHE_SECONDS=0` switches the cache off.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from cases.common.write_invalidated import WriteInvalidatedCache
from cases.directory.tables import Agent, Group, GroupMember
from cases.settings import CasesSettings

T = TypeVar("T")

TTL_SECONDS = CasesSettings().scope_cache_seconds
MAX_ENTRIES = 4096
SCOPE_MODELS: tuple[type[Any], ...] = (Agent, Group, GroupMember)

_cache = WriteInvalidatedCache("scope", SCOPE_MODELS, ttl_seconds=TTL_SECONDS, max_entries=MAX_ENTRIES)
_entries = _cache.entries


def cached(session: Session, key: Hashable, load: Callable[[Session], T]) -> T:
    """`load(session)`, or its value from the last `TTL_SECONDS` for `key` in the same database."""
    _cache.ttl_seconds, _cache.max_entries = TTL_SECONDS, MAX_ENTRIES  # the module's knobs win (tests set them)
    return _cache.cached(session, key, load)


def clear() -> None:
    """Forget every cached scope (a membership change committed here; tests)."""
    _cache.clear()
