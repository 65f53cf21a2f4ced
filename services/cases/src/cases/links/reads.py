"""Reads of links between cases: a case's related, merged, parent and child cases."""

from __future__ import annotations

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.common import repo
from cases.links.tables import CaseLink
from cases.search import reads_filters as scope_filters
from contracts.case_work import CaseLinks, LinkKind, LinkRead
from contracts.search import Viewer


def link_read(row: CaseLink) -> LinkRead:
    return LinkRead.model_validate(row, from_attributes=True)


# case.parent_id through Core: this module needs the column, not the ORM field
CASE_PARENTS = table("case", column("id"), column("parent_id"))


def parent_of(session: Session, case_id: int) -> int | None:
    return session.scalar(select(CASE_PARENTS.c.parent_id).where(CASE_PARENTS.c.id == case_id))


def visible_ids(session: Session, ids: set[int], viewer: Viewer | None) -> set[int]:
    """The ids among `ids` the viewer may see (all of them for None, a trusted caller, or an admin; decision 0125)."""
    if viewer is None or viewer.is_admin or not ids:
        return ids
    scope = scope_filters.load_scope(session, viewer, visibility_only=True)
    if scope.unrestricted:
        return ids
    return set(session.scalars(select(Case.id).where(Case.id.in_(sorted(ids)), scope_filters.visible(scope))))


def case_links(*, session: Session, case_id: int, viewer: Viewer | None = None) -> CaseLinks:
    """The links of a case; with a viewer, linked cases they may not see are left out (decision 0125)."""
    repo.require_case(session, case_id)
    outgoing = session.scalars(select(CaseLink).where(CaseLink.case_id == case_id)).all()
    incoming = session.scalars(select(CaseLink).where(CaseLink.other_case_id == case_id)).all()
    related = {r.other_case_id for r in outgoing if r.kind == LinkKind.RELATED.value}
    related |= {r.case_id for r in incoming if r.kind == LinkKind.RELATED.value}
    children = session.scalars(
        select(CASE_PARENTS.c.id).where(CASE_PARENTS.c.parent_id == case_id).order_by(CASE_PARENTS.c.id)
    ).all()
    parent_id = parent_of(session, case_id)
    merged_into = next((r.other_case_id for r in outgoing if r.kind == LinkKind.MERGED_INTO.value), None)
    merged_from = {r.case_id for r in incoming if r.kind == LinkKind.MERGED_INTO.value}
    named = related | set(children) | merged_from | {i for i in (parent_id, merged_into) if i is not None}
    seen = visible_ids(session, named, viewer)
    return CaseLinks(
        case_id=case_id,
        related=sorted(related & seen),
        parent_id=parent_id if parent_id in seen else None,
        children=[i for i in children if i in seen],
        merged_into=merged_into if merged_into in seen else None,
        merged_from=sorted(merged_from & seen),
    )
