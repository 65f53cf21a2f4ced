"""Reads of cases and their conversation: one case, lists, messages, history, the portal's view."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cases.case.tables import Case, CaseHistory, Message
from cases.common import case_rows as case_reads
from cases.common import repo
from cases.common.case_rows import CaseRows
from cases.directory.tables import Contact, Organisation
from cases.forms import reads as form_reads
from cases.search import reads_filters as search_filters
from cases.search import reads_listing as listing
from contracts.case_config import HistoryEntry
from contracts.cases import CaseFilter, MessageRead, Source, Status, Visibility
from contracts.errors import NotFound
from contracts.forms import CaseDetail
from contracts.search import Viewer


def _visible_case(session: Session, case_id: int, viewer: Viewer | None) -> Case:
    """The case, or NotFound when `viewer` may not see it (restricted groups)."""
    case = repo.get_case(session, case_id)
    if viewer is not None:
        scope = search_filters.load_scope(session, viewer, visibility_only=True)
        if not search_filters.may_see(scope, case.group_id, case.assignee_id):
            raise NotFound(message=f"case {case_id} not found", details={"case_id": case_id})
    return case


def get_case(*, session: Session, case_id: int, viewer: Viewer | None = None) -> CaseDetail:
    """Two statements for the case, one for the visibility check (cases.common.case_rows); a portal case's form
    answers with one more."""
    read = case_reads.read_case(session, case_id)
    if read is None:
        raise NotFound(message=f"case {case_id} not found", details={"case_id": case_id})
    group_id, assignee_id = (read.group.id if read.group else None), (read.assignee.id if read.assignee else None)
    if not search_filters.may_see_case(session, viewer, group_id, assignee_id):
        raise NotFound(message=f"case {case_id} not found", details={"case_id": case_id})
    # only the portal opens cases from forms: no extra statement for the others
    form = form_reads.case_form(session, case_id) if read.source == Source.PORTAL else None
    return CaseDetail.model_construct(read.model_fields_set | {"form"}, **dict(read), form=form)


def list_cases(*, session: Session, filters: CaseFilter, viewer: Viewer | None = None) -> CaseRows:
    """Cases matching `filters` in `filters.sort` order, one keyset page at a time (advanced
    filters, full text, sorts; `viewer` scopes out restricted groups, None is a trusted internal caller)."""
    return listing.list_cases(session, filters, search_filters.load_scope(session, viewer))


def list_messages(
    *, session: Session, case_id: int, visibility: Visibility | None = None, viewer: Viewer | None = None
) -> list[MessageRead]:
    """The conversation of a case, oldest first (optionally only one visibility)."""
    _visible_case(session, case_id, viewer)
    query = select(Message).where(Message.case_id == case_id)
    if visibility is not None:
        query = query.where(Message.visibility == visibility.value)
    return [repo.message_read(m) for m in session.scalars(query.order_by(Message.id))]


def list_cases_for_contact(
    *,
    session: Session,
    contact_id: int,
    cursor: str | None,
    limit: int,
    q: str | None = None,
    closed: bool | None = None,
    organisation: bool = False,
) -> CaseRows:
    """The contact's own cases (D2/D10): the requester filter is forced, never taken from the caller. With
    `organisation`, their organisation's cases instead, when it lets its members see them (else their own).
    `closed`: only resolved and closed cases (True) or only active ones (False); `q`: full text."""
    statuses = [] if closed is None else sorted(_FINISHED if closed else set(Status) - _FINISHED)
    filters = CaseFilter(cursor=cursor, limit=limit, q=q or None, statuses=statuses)
    where = listing.filter_conditions(session, filters, search_filters.UNSCOPED)
    organisation_id = _shared_organisation(session, contact_id) if organisation else None
    if organisation_id is None:
        where.append(Case.requester_id == contact_id)
    else:
        # a case is the organisation's when its requester is one of its contacts (or it was filed under it)
        members = select(Contact.id).where(Contact.organisation_id == organisation_id)
        where.append(or_(Case.requester_id.in_(members), Case.organisation_id == organisation_id))
    return listing.page(session, where, filters.sort, filters.cursor, filters.limit)


_FINISHED = {Status.RESOLVED, Status.CLOSED}


def _organisations_case(session: Session, case: Case, contact_id: int) -> bool:
    organisation_id = _shared_organisation(session, contact_id)
    if organisation_id is None:
        return False
    if case.organisation_id == organisation_id:
        return True
    requester = session.get(Contact, case.requester_id) if case.requester_id is not None else None
    return requester is not None and requester.organisation_id == organisation_id


def _shared_organisation(session: Session, contact_id: int) -> int | None:
    """The contact's organisation when it shows its members each other's cases (D10), else None."""
    row = session.execute(
        select(Organisation.id)
        .join(Contact, Contact.organisation_id == Organisation.id)
        .where(Contact.id == contact_id, Organisation.members_see_cases.is_(True))
    ).first()
    return int(row[0]) if row else None


def get_case_for_contact(*, session: Session, case_id: int, contact_id: int) -> dict[str, Any]:
    """A case and its public conversation, only if the contact is its requester, or the case is their
    organisation's and the organisation shares its cases with its members (D4/D10)."""
    case = session.get(Case, case_id)
    if case is None or (case.requester_id != contact_id and not _organisations_case(session, case, contact_id)):
        # the same answer as a missing case: never reveal that someone else's case exists
        raise NotFound(message=f"case {case_id} not found", details={"case_id": case_id})
    messages = list_messages(session=session, case_id=case_id, visibility=Visibility.PUBLIC)
    return {
        "case": repo.case_read(case).model_dump(mode="json"),
        "messages": [m.model_dump(mode="json") for m in messages],
    }


def list_history(*, session: Session, case_id: int) -> list[HistoryEntry]:
    """The append-only change log of a case, oldest first (B10)."""
    repo.require_case(session, case_id)
    rows = session.scalars(select(CaseHistory).where(CaseHistory.case_id == case_id).order_by(CaseHistory.id))
    return [
        HistoryEntry(
            id=h.id,
            case_id=h.case_id,
            field=h.field,
            old_value=h.old_value,
            new_value=h.new_value,
            actor_type=h.actor_type,
            actor_id=h.actor_id,
            actor_name=h.actor_name,
            channel=h.channel,
            created_at=h.created_at,
        )
        for h in rows
    ]
