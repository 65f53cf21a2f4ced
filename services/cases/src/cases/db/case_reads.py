"""`CaseRead`s built from two statements, however many cases (issue 6: the read path at a million cases).

The ORM way (`repo.case_read` of a `Case` loaded with 6 joined relations and 3-5 `selectin`
collections) costs 5-7 statements and ~12 ms of CPU per page of 25 in the cases worker. Here:
one Core statement for the cases with their single-valued relations (requester, assignee, group,
status, type, organisation, the requester's first address: scalar subqueries, not joins, which
PostgreSQL plans in a tenth of the time on every execution) and one `UNION ALL`
statement for every collection of those cases (tags, custom values, followers). Both have the same
SQL text whatever the number of cases on PostgreSQL (`= ANY(array)` instead of a literal `IN` list),
so SQLAlchemy's compiled cache and psycopg's prepared statements are reused. The answer is the same
`CaseRead` as `repo.case_read` gives (tested in tests/integration/test_case_reads.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pydantic_core
from sqlalchemy import ColumnElement, Integer, Row, Select, Text, any_, bindparam, cast, literal, null, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from cases.db import directory_names
from cases.db.directory_names import Names
from cases.db.models import (
    Case,
    CaseCustomValue,
    CaseFollower,
    CaseTag,
    Contact,
    ContactEmail,
    Organisation,
)
from contracts.cases import CasePage, CaseRead, ContactChannel

_KIND_TAG, _KIND_CUSTOM, _KIND_FOLLOWER = 0, 1, 2


def _first_email(contact_id: Any) -> Any:
    """The contact's first address (lowest id): `Contact.primary_email`, as a scalar subquery."""
    return (
        select(ContactEmail.email)
        .where(ContactEmail.contact_id == contact_id)
        .order_by(ContactEmail.id)
        .limit(1)
        .scalar_subquery()
    )


def _one(value: Any, where: ColumnElement[bool]) -> Any:
    """A value of the related row by primary key, as a scalar subquery: PostgreSQL plans 11 of these in
    ~0.2 ms, where the same 6 LEFT JOINs took 4-14 ms of planning on every execution (custom plans)."""
    return select(value).where(where).scalar_subquery()


def cases_select() -> Select[Any]:
    """The cases with everything single-valued a `CaseRead` shows; add `where`/`order_by`/`limit`."""
    return _CASES


def _build_cases_select() -> Select[Any]:
    c = Case.__table__.c
    return (
        select(
            c.id,
            c.number,
            c.title,
            c.description,
            c.status,
            c.priority,
            c.source,
            c.requester_id,
            c.assignee_id,
            c.group_id,
            c.version,
            c.created_at,
            c.updated_at,
            c.first_response_at,
            c.resolved_at,
            c.closed_at,
            c.status_id,
            c.type_id,
            c.category,
            c.solution,
            c.due_at,
            c.external_ref,
            c.organisation_id,
            c.parent_id,
            c.dormant_until,
            c.held_for_approval,
            c.sla_state,
            c.sla_due_at,
            c.mailbox,
            c.priority_rank,
            _one(Contact.name, Contact.id == c.requester_id).label("requester_name"),
            _one(Contact.phone, Contact.id == c.requester_id).label("requester_phone"),
            _one(Contact.preferred_channel, Contact.id == c.requester_id).label("requester_channel"),
            _first_email(c.requester_id).label("requester_email"),
            _one(Organisation.name, Organisation.id == c.organisation_id).label("organisation_name"),
        )
    ).select_from(Case)


def _ids_match(session: Session, column: Any) -> ColumnElement[bool]:
    """`column` is one of the bound parameter `ids`: one SQL text for any number of ids on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", type_=ARRAY(Integer)))
    return column.in_(bindparam("ids", expanding=True))


_COLLECTIONS: dict[str, Any] = {}  # dialect name -> statement (built once: building costs ~1 ms of CPU)


def _collections_select(session: Session) -> Any:
    """Tags, custom values and followers of the cases `ids`, in one statement: (case_id, kind, a, b, n)."""
    dialect = session.get_bind().dialect.name
    if dialect not in _COLLECTIONS:
        _COLLECTIONS[dialect] = _build_collections_select(session)
    return _COLLECTIONS[dialect]


def _build_collections_select(session: Session) -> Any:
    tags = select(
        CaseTag.case_id,
        literal(_KIND_TAG, Integer).label("kind"),
        cast(CaseTag.tag, Text).label("a"),
        cast(null(), Text).label("b"),
        cast(null(), Integer).label("n"),
    ).where(_ids_match(session, CaseTag.case_id))
    custom = select(
        CaseCustomValue.case_id,
        literal(_KIND_CUSTOM, Integer),
        cast(CaseCustomValue.field_key, Text),
        cast(CaseCustomValue.value, Text),
        cast(null(), Integer),
    ).where(_ids_match(session, CaseCustomValue.case_id))
    followers = (
        select(
            CaseFollower.case_id,
            literal(_KIND_FOLLOWER, Integer),
            cast(Contact.name, Text),
            cast(_first_email(Contact.id), Text),
            Contact.id,
        )
        .join(Contact, Contact.id == CaseFollower.contact_id)
        .where(_ids_match(session, CaseFollower.case_id))
    )
    union = tags.union_all(custom, followers).subquery()
    return select(union).order_by(union.c.case_id, union.c.kind, union.c.a, union.c.n)


def case_dicts(session: Session, rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    """Rows of `cases_select()` as `CaseRead`-shaped dicts, in their order (one more statement for the
    collections). Plain dicts, field for field what `CaseRead` holds, so a page can be written as JSON
    without building and validating 25 models first (decision 0160)."""
    if not rows:
        return []
    # columns by position (Row access by name is the slow path; the positions come from the statement itself)
    ids = [r[_ID] for r in rows]
    tags: dict[int, list[str]] = {i: [] for i in ids}
    custom: dict[int, dict[str, Any]] = {i: {} for i in ids}
    followers: dict[int, list[tuple[int, dict[str, Any]]]] = {i: [] for i in ids}
    # Core statements on the session's connection: no ORM compile state, same transaction
    for case_id, kind, a, b, n in session.connection().execute(_collections_select(session), {"ids": ids}):
        if kind == _KIND_TAG:
            tags[case_id].append(a)
        elif kind == _KIND_CUSTOM:
            custom[case_id][a] = b
        else:
            followers[case_id].append((n, _contact(n, b, a, None, ContactChannel.EMAIL.value)))
    names = directory_names.names_for(
        session,
        agents={r[_ASSIGNEE] for r in rows} - {None},
        groups={r[_GROUP] for r in rows} - {None},
        statuses={r[_STATUS] for r in rows} - {None},
        types={r[_TYPE] for r in rows} - {None},
    )
    return [
        _fields(r, tags[i], custom[i], [ref for _n, ref in sorted(followers[i], key=lambda f: f[0])], names)
        for r, i in zip(rows, ids, strict=True)
    ]


def reads(session: Session, rows: Sequence[Row[Any]]) -> list[CaseRead]:
    """`CaseRead`s of rows of `cases_select()`, in their order (validated: for callers that work with them)."""
    return [CaseRead.model_validate(d) for d in case_dicts(session, rows)]


def _contact(id_: int, email: str | None, name: str, phone: str | None, channel: str) -> dict[str, Any]:
    return {"id": id_, "email": email, "name": name, "phone": phone, "preferred_channel": channel}


def _fields(
    r: Sequence[Any], tags: list[str], custom: dict[str, Any], followers: list[dict[str, Any]], names: Names
) -> dict[str, Any]:
    """One case as `CaseRead` has it, keys in its field order (so the JSON is the same bytes as the model's).
    The row is unpacked by position once: reading its columns by name costs 3x more. Assignee, group, status
    and type names come from the process's kept names (`directory_names`, decision 0162)."""
    (
        id_, number, title, description, status, priority, source, requester_id, assignee_id, group_id, version,
        created_at, updated_at, first_response_at, resolved_at, closed_at, status_id, type_id, category, solution,
        due_at, external_ref, organisation_id, parent_id, dormant_until, held_for_approval, sla_state, sla_due_at,
        mailbox, _priority_rank, requester_name, requester_phone, requester_channel, requester_email,
        organisation_name,
    ) = r  # fmt: skip
    assignee = names.agents.get(assignee_id) if assignee_id is not None else None
    group_name = names.groups.get(group_id) if group_id is not None else None
    case_type = names.types.get(type_id) if type_id is not None else None
    return {
        "id": id_,
        "number": number,
        "title": title,
        "description": description,
        "status": status,
        "priority": priority,
        "source": source,
        "requester": _contact(requester_id, requester_email, requester_name, requester_phone, requester_channel)
        if requester_id is not None and requester_name is not None
        else None,
        "assignee": {"id": assignee_id, "email": assignee[0], "name": assignee[1]} if assignee is not None else None,
        "group": {"id": group_id, "name": group_name} if group_name is not None else None,
        "version": version,
        "created_at": created_at,
        "updated_at": updated_at,
        "first_response_at": first_response_at,
        "resolved_at": resolved_at,
        "closed_at": closed_at,
        "status_id": status_id,
        "status_name": names.statuses.get(status_id) if status_id is not None else None,
        "type": {"id": type_id, "name": case_type[0], "instructions": case_type[1]} if case_type is not None else None,
        "category": category,
        "solution": solution,
        "due_at": due_at,
        "external_ref": external_ref,
        "organisation": {"id": organisation_id, "name": organisation_name}
        if organisation_id is not None and organisation_name is not None
        else None,
        "followers": followers,
        "tags": tags,
        "custom_fields": custom,
        "parent_id": parent_id,
        "dormant_until": dormant_until,
        "held_for_approval": bool(held_for_approval),
        "sla_state": sla_state or "none",
        "sla_due_at": sla_due_at,
        "mailbox": mailbox,
    }


class CaseRows:
    """A page of cases as `case_dicts` gives them: what a list RPC answers, written as JSON by pydantic's own
    encoder (`pydantic_core.to_json`: the same bytes as `CasePage.model_dump_json()`, ~6x less CPU; decision
    0160). `.items` and `.model()` validate into `CaseRead`s for callers that want the models."""

    __slots__ = ("next", "rows")

    def __init__(self, rows: list[dict[str, Any]], next: str | None = None) -> None:  # noqa: A002 (CasePage's name)
        self.rows = rows
        self.next = next

    @property
    def items(self) -> list[CaseRead]:
        return [CaseRead.model_validate(d) for d in self.rows]

    def model(self) -> CasePage:
        return CasePage(items=self.items, next=self.next)

    def model_dump_json(self) -> str:
        return pydantic_core.to_json({"items": self.rows, "next": self.next}).decode()


_CASES = _build_cases_select()
_POSITION = {column.key: i for i, column in enumerate(_CASES.selected_columns)}
_ID, _ASSIGNEE, _GROUP, _STATUS, _TYPE = (
    _POSITION[key] for key in ("id", "assignee_id", "group_id", "status_id", "type_id")
)


def read_cases(session: Session, ids: Iterable[int]) -> list[CaseRead]:
    """The `CaseRead`s of `ids` that exist, in the order given (two statements)."""
    wanted = list(ids)
    if not wanted:
        return []
    query = cases_select().where(_ids_match(session, Case.id))
    found = {r.id: r for r in session.connection().execute(query, {"ids": wanted})}
    return reads(session, [found[i] for i in wanted if i in found])


def read_case(session: Session, case_id: int) -> CaseRead | None:
    """One case's `CaseRead`, or None (two statements)."""
    row = session.connection().execute(cases_select().where(Case.id == case_id)).first()
    return reads(session, [row])[0] if row is not None else None
