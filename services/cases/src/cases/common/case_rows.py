"""`CaseRead`s built from two statements, however many cases (the read path at a million cases).

The ORM way (`repo.case_read` of a `Case` loaded with 6 joined relations and 3-5 `selectin`
collections) costs 5-7 statements and ~12 ms of CPU per page of 25 in the cases worker. Here:
one Core statement for the cases with their single-valued relations (requester, assignee, group,
status, type, organisation, the requester's first address: scalar subqueries, not joins, which
PostgreSQL plans in a tenth of the time on every execution) and one `UNION ALL`
statement for every collection of those cases (tags, custom values, followers). Both have the same
SQL text whatever the number of cases on PostgreSQL (`= ANY(array)` instead of a literal `IN` list),
so SQLAlchemy's compiled cache and psycopg's prepared statements are reused. The answer is the same
`CaseRead` as `repo.case_read` gives (tested in tests/integration/test_case_reads.py).

On PostgreSQL the collections come with the cases instead (decision 0164): three correlated `ARRAY(SELECT ...)`
columns per case, so a page or a case detail is one statement (the names are kept per process, 0162). A second
statement cost the cases worker more CPU than the arrays cost PostgreSQL and the client. SQLite keeps the second
statement (it has no arrays); both give the same dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pydantic_core
from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    Text,
    any_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session

from cases.case.tables import Case, CaseCustomValue, CaseFollower, CaseTag
from cases.common import names as directory_names
from cases.common.names import Names
from cases.directory.tables import Contact, ContactEmail, Organisation
from contracts.cases import CasePage, CaseRead, ContactChannel

_KIND_TAG, _KIND_CUSTOM, _KIND_FOLLOWER = 0, 1, 2


def _first_email(contact_id: Any) -> Any:
    """The contact's first address (lowest id): `Contact.primary_email`, as a scalar subquery."""
    return (
        select(ContactEmail.email)
        .where(ContactEmail.contact_id == contact_id)
        .order_by(ContactEmail.id)
        .limit(literal_column("1", Integer))  # not a parameter: see listing.page (decision 0164)
        .scalar_subquery()
    )


def _one(value: Any, where: ColumnElement[bool]) -> Any:
    """A value of the related row by primary key, as a scalar subquery: PostgreSQL plans 11 of these in
    ~0.2 ms, where the same 6 LEFT JOINs took 4-14 ms of planning on every execution (custom plans)."""
    return select(value).where(where).scalar_subquery()


def cases_select(session: Session | None = None) -> Select[Any]:
    """The cases with everything single-valued a `CaseRead` shows; add `where`/`order_by`/`limit`. Given a
    session on PostgreSQL: also each case's tags, custom values and followers, so `case_dicts` needs no second
    statement (decision 0164)."""
    if session is not None and session.get_bind().dialect.name == "postgresql":
        return _CASES_WITH_COLLECTIONS
    return _CASES


def _array_of(query: Select[Any]) -> Any:
    """`ARRAY((SELECT ...))`: the rows of a correlated subquery as a PostgreSQL array (`{}` when none)."""
    return func.ARRAY(query.scalar_subquery())


def _with_collections(cases: Select[Any]) -> Select[Any]:
    """PostgreSQL: the tags (text[]), custom values ({{key, value}, ...}) and followers ({{contact id, name,
    first email}, ...}) of each case, ordered as the collections statement orders them. Each is ordered by the
    second column of its table's primary key (same collation), so the key's index gives the order: no sort."""
    c = Case.__table__.c
    return cases.add_columns(
        _array_of(select(cast(CaseTag.tag, Text)).where(CaseTag.case_id == c.id).order_by(CaseTag.tag)),
        _array_of(
            select(array([cast(CaseCustomValue.field_key, Text), cast(CaseCustomValue.value, Text)]))
            .where(CaseCustomValue.case_id == c.id)
            .order_by(CaseCustomValue.field_key)
        ),
        _array_of(
            select(array([cast(Contact.id, Text), cast(Contact.name, Text), cast(_first_email(Contact.id), Text)]))
            .select_from(CaseFollower)
            .join(Contact, Contact.id == CaseFollower.contact_id)
            .where(CaseFollower.case_id == c.id)
            .order_by(CaseFollower.contact_id)
        ),
    )


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
            c.inform_contact,
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
    tags: dict[int, list[str]] = {}
    custom: dict[int, dict[str, Any]] = {}
    followers: dict[int, list[dict[str, Any]]] = {}
    if len(rows[0]) > _TAGS:  # PostgreSQL: the collections came as arrays with the rows (decision 0164)
        for r, i in zip(rows, ids, strict=True):
            tags[i] = r[_TAGS]
            custom[i] = dict(r[_CUSTOM])
            followers[i] = [_contact(int(n), email, name, None, _EMAIL) for n, name, email in r[_FOLLOWERS]]
    else:
        _collections(session, ids, tags, custom, followers)
    names = directory_names.names_for(
        session,
        agents={r[_ASSIGNEE] for r in rows} - {None},
        groups={r[_GROUP] for r in rows} - {None},
        statuses={r[_STATUS] for r in rows} - {None},
        types={r[_TYPE] for r in rows} - {None},
    )
    return [_fields(r, tags[i], custom[i], followers[i], names) for r, i in zip(rows, ids, strict=True)]


def _collections(
    session: Session,
    ids: list[int],
    tags: dict[int, list[str]],
    custom: dict[int, dict[str, Any]],
    followers: dict[int, list[dict[str, Any]]],
) -> None:
    """Fill the collections of the cases `ids` from one `UNION ALL` statement (SQLite; any backend)."""
    for i in ids:
        tags[i], custom[i], followers[i] = [], {}, []
    by_id: dict[int, list[tuple[int, dict[str, Any]]]] = {i: [] for i in ids}
    # Core statements on the session's connection: no ORM compile state, same transaction
    for case_id, kind, a, b, n in session.connection().execute(_collections_select(session), {"ids": ids}):
        if kind == _KIND_TAG:
            tags[case_id].append(a)
        elif kind == _KIND_CUSTOM:
            custom[case_id][a] = b
        else:
            by_id[case_id].append((n, _contact(n, b, a, None, _EMAIL)))
    for i, found in by_id.items():
        followers[i] = [ref for _n, ref in sorted(found, key=lambda f: f[0])]


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
        mailbox, _priority_rank, inform_contact, requester_name, requester_phone, requester_channel, requester_email,
        organisation_name, *_arrays,
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
        "inform_contact": inform_contact,
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
_CASES_WITH_COLLECTIONS = _with_collections(_CASES)
_POSITION = {column.key: i for i, column in enumerate(_CASES.selected_columns)}
_TAGS, _CUSTOM, _FOLLOWERS = len(_POSITION), len(_POSITION) + 1, len(_POSITION) + 2
_EMAIL = ContactChannel.EMAIL.value
_ID, _ASSIGNEE, _GROUP, _STATUS, _TYPE = (
    _POSITION[key] for key in ("id", "assignee_id", "group_id", "status_id", "type_id")
)


# statements built once (per dialect where it matters): building `cases_select().where(...)` again and letting
# SQLAlchemy walk the new object for its cache key was ~30% of a case detail's CPU in the cases worker (0164)
_BY_IDS: dict[str, Select[Any]] = {}
_BY_ID: dict[str, Select[Any]] = {}


def read_cases(session: Session, ids: Iterable[int]) -> list[CaseRead]:
    """The `CaseRead`s of `ids` that exist, in the order given (one statement on PostgreSQL, two on SQLite)."""
    wanted = list(ids)
    if not wanted:
        return []
    dialect = session.get_bind().dialect.name
    if dialect not in _BY_IDS:
        _BY_IDS[dialect] = cases_select(session).where(_ids_match(session, Case.id))
    found = {r[_ID]: r for r in session.connection().execute(_BY_IDS[dialect], {"ids": wanted})}
    return reads(session, [found[i] for i in wanted if i in found])


def read_case(session: Session, case_id: int) -> CaseRead | None:
    """One case's `CaseRead`, or None (one statement on PostgreSQL, two on SQLite)."""
    dialect = session.get_bind().dialect.name
    if dialect not in _BY_ID:
        _BY_ID[dialect] = cases_select(session).where(Case.id == bindparam("case_id", type_=Integer))
    row = session.connection().execute(_BY_ID[dialect], {"case_id": case_id}).first()
    return reads(session, [row])[0] if row is not None else None
