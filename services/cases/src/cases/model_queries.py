"""Read side of the case model and the directory (issue 3 part A): history, configuration, contacts."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cases.db import model_repo, repo
from cases.db.models import (
    CaseHistory,
    CaseStatus,
    CaseType,
    Contact,
    ContactEmail,
    CustomField,
    FieldConfig,
    Group,
    GroupMember,
    Organisation,
)
from cases.domain.fields import OPTIONAL_FIELDS
from cases.domain.paging import decode_cursor, encode_cursor
from contracts.cases import (
    CaseSettings,
    CaseStatusRead,
    CaseTypeRead,
    ContactDetail,
    CustomFieldRead,
    FieldConfigRead,
    GroupRead,
    HistoryEntry,
    OrganisationRead,
    OrganisationRef,
)
from contracts.errors import NotFound


def type_read(row: CaseType) -> CaseTypeRead:
    return CaseTypeRead(id=row.id, name=row.name, instructions=row.instructions, active=row.active)


def status_read(row: CaseStatus) -> CaseStatusRead:
    return CaseStatusRead(id=row.id, name=row.name, category=row.category, builtin=row.builtin)


def field_read(row: CustomField) -> CustomFieldRead:
    return CustomFieldRead(
        id=row.id,
        key=row.key,
        label=row.label,
        type=row.type,
        options=list(row.options or []),
        used=row.used,
        hidden=row.hidden,
        required=row.required,
    )


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


def list_history(*, session: Session, case_id: int) -> list[HistoryEntry]:
    """The append-only change log of a case, oldest first (B10)."""
    repo.get_case(session, case_id)
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


def list_types(*, session: Session) -> list[CaseTypeRead]:
    return [type_read(t) for t in session.scalars(select(CaseType).order_by(CaseType.position, CaseType.id))]


def list_statuses(*, session: Session) -> list[CaseStatusRead]:
    return [status_read(s) for s in session.scalars(select(CaseStatus).order_by(CaseStatus.position, CaseStatus.id))]


def list_custom_fields(*, session: Session) -> list[CustomFieldRead]:
    return [field_read(f) for f in session.scalars(select(CustomField).order_by(CustomField.position, CustomField.id))]


def list_field_configs(*, session: Session) -> list[FieldConfigRead]:
    """Every built-in optional field with its configuration (defaults where the admin chose nothing)."""
    stored = {r.field: r for r in session.scalars(select(FieldConfig))}
    result = []
    for name in OPTIONAL_FIELDS:
        row = stored.get(name)
        result.append(
            FieldConfigRead(field=name, used=row.used, hidden=row.hidden, required=row.required)
            if row
            else FieldConfigRead(field=name)
        )
    return result


def get_settings(*, session: Session) -> CaseSettings:
    return model_repo.settings(session)


def list_organisations(*, session: Session) -> list[OrganisationRead]:
    rows = session.scalars(select(Organisation).order_by(Organisation.name))
    return [OrganisationRead(id=o.id, name=o.name) for o in rows]


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


def list_groups(*, session: Session) -> list[GroupRead]:
    return [group_read(session, g) for g in session.scalars(select(Group).order_by(Group.name))]
