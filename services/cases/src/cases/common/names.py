"""Names of agents, groups, statuses and case types for case reads, kept per process (decision 0162).

Every case a list shows names its assignee, group, status and type. Read as scalar subqueries of the page's
statement they cost PostgreSQL 6 index or table lookups per case (156 per page of 25+1) and the client six
more columns per row; the tables are small and change a few times a month. All four are read in one
statement and kept like the configuration (`CASES_CONFIG_CACHE_SECONDS`, 1 s, `WriteInvalidatedCache`,
decision 0155): a change committed by this process is seen at once, one by another process within the TTL.
An id the kept names do not hold (an agent another worker created a moment ago) reads them again, so a case is
never shown without the assignee it has; only a rename made by another process can show up to 1 s late.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Text, cast, literal, null, select, union_all
from sqlalchemy.orm import Session

from cases.common.write_invalidated import WriteInvalidatedCache
from cases.config.tables import CaseStatus, CaseType
from cases.directory.tables import Agent, Group
from cases.settings import CasesSettings

TTL_SECONDS = CasesSettings().config_cache_seconds
NAME_MODELS: tuple[type[Any], ...] = (Agent, Group, CaseStatus, CaseType)
_AGENT, _GROUP, _STATUS, _TYPE = 0, 1, 2, 3

_cache = WriteInvalidatedCache("names", NAME_MODELS, ttl_seconds=TTL_SECONDS, max_entries=64)


@dataclass(frozen=True)
class Names:
    agents: dict[int, tuple[str, str]]  # id -> (email, name)
    groups: dict[int, str]
    statuses: dict[int, str]
    types: dict[int, tuple[str, str]]  # id -> (name, instructions)

    def holds(
        self, agents: Iterable[int], groups: Iterable[int], statuses: Iterable[int], types: Iterable[int]
    ) -> bool:
        return (
            all(i in self.agents for i in agents)
            and all(i in self.groups for i in groups)
            and all(i in self.statuses for i in statuses)
            and all(i in self.types for i in types)
        )


def _text(column: Any) -> Any:
    return cast(column, Text)


_STATEMENT = union_all(
    select(
        literal(_AGENT, Integer).label("kind"), Agent.id, _text(Agent.email).label("a"), _text(Agent.name).label("b")
    ),
    select(literal(_GROUP, Integer), Group.id, _text(Group.name), cast(null(), Text)),
    select(literal(_STATUS, Integer), CaseStatus.id, _text(CaseStatus.name), cast(null(), Text)),
    select(literal(_TYPE, Integer), CaseType.id, _text(CaseType.name), _text(CaseType.instructions)),
)


def _load(session: Session) -> Names:
    names = Names(agents={}, groups={}, statuses={}, types={})
    for kind, id_, a, b in session.connection().execute(_STATEMENT):
        if kind == _AGENT:
            names.agents[id_] = (a, b)
        elif kind == _GROUP:
            names.groups[id_] = a
        elif kind == _STATUS:
            names.statuses[id_] = a
        else:
            names.types[id_] = (a, b)
    return names


def names_for(session: Session, agents: set[int], groups: set[int], statuses: set[int], types: set[int]) -> Names:
    """The kept names, read again when one of the ids asked for is not among them (one statement)."""
    _cache.ttl_seconds = TTL_SECONDS  # the module's knob wins (tests set it)
    names = _cache.cached(session, "names", _load)
    if not names.holds(agents, groups, statuses, types):
        _cache.clear()
        names = _cache.cached(session, "names", _load)
    return names


def clear() -> None:
    """Forget the kept names (tests)."""
    _cache.clear()
