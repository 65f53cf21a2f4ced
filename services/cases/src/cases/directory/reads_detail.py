"""Reads of the directory's admin pages: contacts with their addresses, organisations, groups."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cases.common.paging import decode_cursor, encode_cursor
from cases.directory.tables import Contact, ContactEmail, Group, GroupMember, Organisation
from contracts.cases import OrganisationRef
from contracts.directory import ContactDetail, GroupRead, OrganisationRead
from contracts.errors import NotFound


def contact_detail(session: Session, row: Contact) -> ContactDetail:
    org = session.get(Organisation, row.organisation_id) if row.organisation_id is not None else None
    return ContactDetail(
        id=row.id,
        name=row.name,
        emails=[e.email for e in row.emails],
        phone=row.phone,
        organisation=OrganisationRef(id=org.id, name=org.name) if org else None,
        approved=row.approved,
        preferred_channel=row.preferred_channel,
    )


def group_read(session: Session, row: Group) -> GroupRead:
    members = session.scalars(select(GroupMember.agent_id).where(GroupMember.group_id == row.id))
    return GroupRead(id=row.id, name=row.name, member_ids=sorted(members), restricted=row.restricted)


def organisation_read(row: Organisation) -> OrganisationRead:
    return OrganisationRead(
        id=row.id,
        name=row.name,
        domains=list(row.domains or []),
        colleagues_join_publicly=bool(row.colleagues_join_publicly),
        members_see_cases=bool(row.members_see_cases),
    )


def list_organisations(*, session: Session) -> list[OrganisationRead]:
    rows = session.scalars(select(Organisation).order_by(Organisation.name))
    return [organisation_read(o) for o in rows]


def get_contact(*, session: Session, contact_id: int) -> ContactDetail:
    row = session.get(Contact, contact_id)
    if row is None:
        raise NotFound(message=f"contact {contact_id} not found", details={"contact_id": contact_id})
    return contact_detail(session, row)


def list_contacts(
    *,
    session: Session,
    q: str | None = None,
    approved: bool | None = None,
    organisation_id: int | None = None,
    cursor: str | None = None,
    limit: int = 25,
) -> dict[str, object]:
    """Contacts, newest first, a keyset page at a time; `approved=False` lists those awaiting approval."""
    query = select(Contact)
    if q and q.strip():
        term = q.strip()
        emails = select(ContactEmail.contact_id).where(ContactEmail.email.icontains(term, autoescape=True))
        query = query.where(or_(Contact.name.icontains(term, autoescape=True), Contact.id.in_(emails)))
    if approved is not None:
        query = query.where(Contact.approved.is_(approved))
    if organisation_id is not None:
        query = query.where(Contact.organisation_id == organisation_id)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(Contact.id < after)
    rows = session.scalars(query.order_by(Contact.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return {
        "items": [contact_detail(session, c).model_dump(mode="json") for c in page],
        "next": encode_cursor(page[-1].id) if len(rows) > limit else None,
    }


def list_groups_detail(*, session: Session) -> list[GroupRead]:
    return [group_read(session, g) for g in session.scalars(select(Group).order_by(Group.name))]
