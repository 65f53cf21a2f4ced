"""The query builder of case lists (C3, C4): who may see what, the advanced filters, the sorts.

Every condition here is one an index serves at a million cases (see docs/search.md): equality and
range filters on indexed columns, EXISTS on indexed child tables, never a function of a column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, exists, false, literal, or_, select, text, true, tuple_, union_all
from sqlalchemy.orm import Session

from cases.case.tables import Case, CaseCustomValue, CaseTag
from cases.common.search_sql import OPEN_SQL
from cases.config.tables import CustomField
from cases.directory.tables import Agent, Group, GroupMember
from cases.search import reads_scope_cache as scope_cache
from contracts.cases import AgentRole, CaseFilter, CaseSort
from contracts.errors import InvalidFilter, NotFound
from contracts.search import Viewer


@dataclass(frozen=True)
class Scope:
    """The calling agent's view of the cases: which groups are hidden from them.

    `members_only`: a light agent, who sees only the cases of their own groups (decision 0196)."""

    agent_id: int | None
    is_admin: bool
    group_ids: frozenset[int]
    hidden_group_ids: frozenset[int]
    members_only: bool = False

    @property
    def unrestricted(self) -> bool:
        return not self.hidden_group_ids and not self.members_only


UNSCOPED = Scope(agent_id=None, is_admin=True, group_ids=frozenset(), hidden_group_ids=frozenset())


def load_scope(session: Session, viewer: Viewer | None, *, visibility_only: bool = False) -> Scope:
    """The scope of `viewer` (None: a trusted internal caller, who sees everything).

    `visibility_only`: the caller needs only the hidden groups (one case's detail); while no group is
    restricted that costs one indexed query. Either is kept per process for up to 1 s and forgotten at
    once when this process commits a change of agents, groups or memberships (`scope_cache`, 0154)."""
    if viewer is None:
        return UNSCOPED
    key = (viewer.agent_id, viewer.is_admin, visibility_only)
    return scope_cache.cached(session, key, lambda s: _load_scope(s, viewer, visibility_only=visibility_only))


def _load_scope(session: Session, viewer: Viewer, *, visibility_only: bool) -> Scope:
    if (
        visibility_only
        and not is_light_agent(session, viewer.agent_id)
        and session.scalar(select(Group.id).where(Group.restricted.is_(True)).limit(1)) is None
    ):
        return Scope(
            agent_id=viewer.agent_id, is_admin=viewer.is_admin, group_ids=frozenset(), hidden_group_ids=frozenset()
        )
    is_admin = viewer.is_admin
    members_only = False
    group_ids: frozenset[int] = frozenset()
    restricted = select(literal(1).label("kind"), literal(None).label("role"), literal(None).label("active"))
    restricted = restricted.add_columns(Group.id.label("group_id")).where(Group.restricted.is_(True))
    if viewer.agent_id is None:
        rows = [] if is_admin else session.execute(restricted).all()
    else:
        # one statement: the agent with its memberships (kind 0; None group_id: in no group) and the
        # restricted groups (kind 1)
        agent = (
            select(literal(0).label("kind"), Agent.role, Agent.active, GroupMember.group_id)
            .outerjoin(GroupMember, GroupMember.agent_id == Agent.id)
            .where(Agent.id == viewer.agent_id)
        )
        rows = session.execute(union_all(agent, restricted)).all()
        mine = [r for r in rows if r.kind == 0]
        if not mine or not mine[0].active:
            raise NotFound(message="no such agent", details={"agent_id": viewer.agent_id})
        # a light agent is never more, whatever the caller's key says
        members_only = mine[0].role == AgentRole.LIGHT_AGENT.value
        is_admin = not members_only and (is_admin or mine[0].role == AgentRole.ADMIN.value)
        group_ids = frozenset(r.group_id for r in mine if r.group_id is not None)
    hidden: frozenset[int] = frozenset()
    if not is_admin:
        hidden = frozenset(r.group_id for r in rows if r.kind == 1) - group_ids
    return Scope(
        agent_id=viewer.agent_id,
        is_admin=is_admin,
        group_ids=group_ids,
        hidden_group_ids=hidden,
        members_only=members_only,
    )


def is_light_agent(session: Session, agent_id: int | None) -> bool:
    """True for a light agent (the light agents' ids are cached like the scope, 0154)."""
    return agent_id is not None and agent_id in scope_cache.cached(session, ("light agents",), _light_agent_ids)


def _light_agent_ids(session: Session) -> frozenset[int]:
    return frozenset(session.scalars(select(Agent.id).where(Agent.role == AgentRole.LIGHT_AGENT.value)))


def visible(scope: Scope) -> ColumnElement[bool]:
    """Cases the scope may see: any case outside the (few) restricted groups they are not in; a light
    agent's, only the cases of their groups."""
    if scope.members_only:
        return Case.group_id.in_(sorted(scope.group_ids)) if scope.group_ids else false()
    if scope.unrestricted:
        return true()
    allowed = or_(Case.group_id.is_(None), Case.group_id.not_in(sorted(scope.hidden_group_ids)))
    if scope.agent_id is not None:  # a case assigned to you stays yours even in a group you left
        allowed = or_(allowed, Case.assignee_id == scope.agent_id)
    return allowed


def may_see(scope: Scope, group_id: int | None, assignee_id: int | None) -> bool:
    """`visible` for one case already loaded (the case detail)."""
    if scope.members_only:
        return group_id is not None and group_id in scope.group_ids
    if group_id is None or group_id not in scope.hidden_group_ids:
        return True
    return scope.agent_id is not None and assignee_id == scope.agent_id


def may_see_case(session: Session, viewer: Viewer | None, group_id: int | None, assignee_id: int | None) -> bool:
    """`may_see` for one case, loading only what the answer needs (the case detail's read path):
    the restricted groups' ids (cached like the scope, 0154), and the caller's scope only when the case's
    group is one of them or the caller is a light agent."""
    if viewer is None:
        return True
    if not is_light_agent(session, viewer.agent_id):
        if viewer.is_admin or group_id is None:
            return True
        if group_id not in scope_cache.cached(session, ("restricted groups",), _restricted_group_ids):
            return True
    return may_see(load_scope(session, viewer), group_id, assignee_id)


def _restricted_group_ids(session: Session) -> frozenset[int]:
    return frozenset(session.scalars(select(Group.id).where(Group.restricted.is_(True))))


def is_open() -> ColumnElement[bool]:
    """Not resolved or closed, written exactly as the partial indexes' predicate so the planner uses them."""
    return text(OPEN_SQL)  # type: ignore[return-value]


def _sla_states(values: list[str]) -> list[str]:
    from contracts.sla import SlaState  # contracts.sla imports contracts.cases

    known = {s.value for s in SlaState}
    bad = [v for v in values if v not in known]
    if bad:
        raise InvalidFilter(
            message="unknown SLA state", details={"field": "sla_states", "values": bad, "allowed": sorted(known)}
        )
    return values


def _custom_fields(session: Session, wanted: dict[str, str]) -> dict[str, str]:
    if not wanted:
        return wanted
    known = set(session.scalars(select(CustomField.key).where(CustomField.key.in_(list(wanted)))))
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise InvalidFilter(message="unknown custom field", details={"field": "custom_fields", "keys": unknown})
    return wanted


def _range(field: str, start: datetime | None, end: datetime | None) -> None:
    for name, value in ((f"{field}_from", start), (f"{field}_to", end)):
        if value is not None and value.tzinfo is None:
            raise InvalidFilter(message="dates need a time zone", details={"field": name})
    if start is not None and end is not None and start >= end:
        raise InvalidFilter(message=f"{field}_from must be before {field}_to", details={"field": f"{field}_from"})


def conditions(session: Session, filters: CaseFilter) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the advanced filters (not the full text `q`, not the scope)."""
    where: list[ColumnElement[bool]] = []
    statuses = {s.value for s in filters.statuses} | ({filters.status.value} if filters.status else set())
    if filters.status is not None and filters.statuses and filters.status not in filters.statuses:
        return [false()]  # both given and disjoint: nothing matches
    if statuses:
        where.append(Case.status.in_(sorted(statuses)) if len(statuses) > 1 else Case.status == next(iter(statuses)))
    for column, values in (
        (Case.priority, [p.value for p in filters.priorities]),
        (Case.source, list(filters.sources)),
        (Case.sla_state, _sla_states(filters.sla_states)),
    ):
        if values:
            where.append(column.in_(values) if len(values) > 1 else column == values[0])
    groups = set(filters.group_ids) | ({filters.group_id} if filters.group_id is not None else set())
    if filters.group_id is not None and filters.group_ids and filters.group_id not in filters.group_ids:
        return [false()]
    if groups:
        where.append(Case.group_id.in_(sorted(groups)) if len(groups) > 1 else Case.group_id == next(iter(groups)))
    scalar: list[tuple[Any, Any]] = [
        (Case.assignee_id, filters.assignee_id),
        (Case.requester_id, filters.requester_id),
        (Case.organisation_id, filters.organisation_id),
        (Case.type_id, filters.type_id),
        (Case.category, filters.category),
    ]
    for column, value in scalar:
        if value is not None:
            where.append(column == value)
    if filters.unassigned is not None:
        if filters.unassigned and filters.assignee_id is not None:
            raise InvalidFilter(
                message="unassigned and assignee_id contradict each other", details={"field": "unassigned"}
            )
        where.append(Case.assignee_id.is_(None) if filters.unassigned else Case.assignee_id.is_not(None))
    for tag in sorted({t.strip().lower() for t in filters.tags if t.strip()}):
        where.append(exists().where(CaseTag.case_id == Case.id, CaseTag.tag == tag))
    for key, value in sorted(_custom_fields(session, filters.custom_fields).items()):
        where.append(
            exists().where(
                CaseCustomValue.case_id == Case.id, CaseCustomValue.field_key == key, CaseCustomValue.value == value
            )
        )
    _range("created", filters.created_from, filters.created_to)
    _range("updated", filters.updated_from, filters.updated_to)
    if filters.created_from is not None:
        where.append(Case.created_at >= filters.created_from)
    if filters.created_to is not None:
        where.append(Case.created_at < filters.created_to)
    if filters.updated_from is not None:
        where.append(Case.updated_at >= filters.updated_from)
    if filters.updated_to is not None:
        where.append(Case.updated_at < filters.updated_to)
    return where


# -- sorts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SortSpec:
    """A sort over one NOT NULL column, ties broken by id; served by an index on (column, id)."""

    key: CaseSort
    column: Any
    descending: bool
    kind: str  # "datetime" | "int": how the cursor stores the value
    nullable: bool = False  # a nullable column lists only the rows that have a value

    def order_by(self) -> list[Any]:
        if self.descending:
            return [self.column.desc(), Case.id.desc()]
        return [self.column.asc(), Case.id.asc()]

    def after(self, value: Any, case_id: int) -> ColumnElement[bool]:
        """Rows strictly after (value, case_id) in this order."""
        # a row comparison: PostgreSQL and SQLite both turn it into one index range
        mine = tuple_(self.column, Case.id)
        theirs = tuple_(literal(value, type_=self.column.type), literal(case_id, type_=Integer()))
        return mine < theirs if self.descending else mine > theirs

    def value_of(self, case: Case) -> Any:
        return getattr(case, self.column.key)


SORTS: dict[CaseSort, SortSpec] = {}
for _key, _column, _kind in (
    ("created", Case.created_at, "datetime"),
    ("updated", Case.updated_at, "datetime"),
    ("priority", Case.priority_rank, "int"),
    ("number", Case.number, "int"),
    ("sla_due", Case.sla_due_at, "datetime"),
):
    _nullable = _key == "sla_due"
    SORTS[CaseSort(_key)] = SortSpec(CaseSort(_key), _column, False, _kind, _nullable)
    SORTS[CaseSort("-" + _key)] = SortSpec(CaseSort("-" + _key), _column, True, _kind, _nullable)
