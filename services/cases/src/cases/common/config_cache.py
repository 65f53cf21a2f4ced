"""A short-lived, per-process cache of workspace configuration (decision 0112).

Settings, field configuration, custom field definitions and statuses are read by every case created or
message posted, and change a few times a year. Each is kept for `TTL_SECONDS` (1 s) per process, emptied
when this process commits a write of one of them (the admin RPCs run in the same worker), so the next read
sees it at once; a change committed by another process (a second cases worker, a migration, SQL by hand)
is seen within `TTL_SECONDS`. The rules are those of `WriteInvalidatedCache` (decision 0155).

`CASES_CONFIG_CACHE_SECONDS=0` switches the cache off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from cases.common.write_invalidated import WriteInvalidatedCache
from cases.config.tables import CaseSource, CaseStatus, CustomField, FieldConfig, Setting
from cases.settings import CasesSettings

T = TypeVar("T")

TTL_SECONDS = CasesSettings().config_cache_seconds
MAX_ENTRIES = 80  # five names per database
CONFIG_MODELS: tuple[type[Any], ...] = (Setting, FieldConfig, CustomField, CaseStatus, CaseSource)

_cache = WriteInvalidatedCache("config", CONFIG_MODELS, ttl_seconds=TTL_SECONDS, max_entries=MAX_ENTRIES)


def cached(session: Session, name: str, load: Callable[[Session], T]) -> T:
    """`load(session)`, or its value from the last `TTL_SECONDS` when nothing changed the configuration since."""
    _cache.ttl_seconds = TTL_SECONDS  # the module's knob wins (tests set it)
    return _cache.cached(session, name, load)


def clear() -> None:
    """Forget every cached value (a configuration change committed here; tests)."""
    _cache.clear()
