"""Admin commands of the directory (B15, H2): organisations, contacts, groups, agents; one transaction each."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.case.tables import Case
from cases.common import model_repo, repo
from cases.directory import rules as directory_rules
from cases.directory.reads_detail import contact_detail, group_read, organisation_read
from cases.directory.tables import Agent, Contact, ContactEmail, Group, GroupMember, Organisation
from chassis.db import utcnow
from contracts.cases import Actor, AgentRead, AgentRole, CaseUpdated, ContactChannel
from contracts.directory import (
    AgentWrite,
    ContactDetail,
    ContactWrite,
    GroupRead,
    GroupWrite,
    OrganisationRead,
    OrganisationWrite,
)
from contracts.errors import FREE_MAIL_DOMAIN, LAST_ADMIN, DomainError, ValidationFailed

if TYPE_CHECKING:
    from cases.common.runtime import Runtime
from cases.common.rows import check_unique, get_row

# -- directory --------------------------------------------------------------------------------


def save_organisation(
    *, runtime: Runtime, data: OrganisationWrite, organisation_id: int | None = None
) -> OrganisationRead:
    """Create or change an organisation: its name, mail domains and colleague setting (B15, decision 0220)."""
    domains = _organisation_domains(data.domains)
    with runtime.transaction() as session:
        row = get_row(session, Organisation, organisation_id, "organisation") if organisation_id else Organisation()
        row.name = data.name.strip()
        row.domains = domains
        row.colleagues_join_publicly = data.colleagues_join_publicly
        row.members_see_cases = data.members_see_cases
        session.add(row)
        check_unique(session, "name", data.name)
        return organisation_read(row)


def _organisation_domains(values: list[str]) -> list[str]:
    """Normalised and de-duplicated; an invalid or free-mail domain refuses the whole change."""
    domains = list(dict.fromkeys(directory_rules.normalise_domain(v) for v in values))
    for domain in domains:
        if not directory_rules.is_valid_domain(domain):
            raise ValidationFailed(message=f"not a mail domain: {domain!r}", details={"domains": domain})
        if directory_rules.is_free_mail(domain):
            raise DomainError(
                FREE_MAIL_DOMAIN,
                f"{domain} is a free-mail provider: its addresses say nothing about who someone works for",
                {"domains": domain},
            )
    return domains


def save_contact(*, runtime: Runtime, data: ContactWrite, actor: Actor, contact_id: int | None = None) -> ContactDetail:
    """Create or change a contact; approving one clears the hold on its cases, with history (B15)."""
    with runtime.transaction() as session:
        row = get_row(session, Contact, contact_id, "contact") if contact_id else Contact(name="")
        if not contact_id and not data.emails:
            raise ValidationFailed(message="a contact needs an email address", details={"emails": []})
        if data.name is not None:
            row.name = data.name.strip()
        if data.phone is not None:
            row.phone = data.phone.strip() or None
        if data.preferred_channel is not None:
            row.preferred_channel = data.preferred_channel.value
        if row.preferred_channel == ContactChannel.SMS.value and not row.phone:
            # SMS is only a preference we can honour with a number to send to
            raise ValidationFailed(
                message="a contact who prefers SMS needs a phone number", details={"preferred_channel": "sms"}
            )
        if "organisation_id" in data.model_fields_set:
            if data.organisation_id is not None:
                model_repo.require(session, Organisation, data.organisation_id, "organisation_id")
            row.organisation_id = data.organisation_id
        session.add(row)
        session.flush()
        if data.emails is not None:
            _set_emails(session, row, [repo.normalise_email(str(e)) for e in data.emails])
        if data.approved is not None and data.approved != row.approved:
            row.approved = data.approved
            if data.approved:
                _release_held_cases(session, runtime, row, actor)
        check_unique(session, "email", ", ".join(map(str, data.emails or [])))
        session.refresh(row)
        return contact_detail(session, row)


def _set_emails(session: Session, contact: Contact, emails: list[str]) -> None:
    if not emails:
        raise ValidationFailed(message="a contact needs an email address", details={"emails": []})
    wanted = list(dict.fromkeys(emails))
    for existing in list(contact.emails):
        if existing.email not in wanted:
            session.delete(existing)
    have = {e.email for e in contact.emails}
    for email in wanted:
        if email not in have:
            session.add(ContactEmail(contact_id=contact.id, email=email))


def _release_held_cases(session: Session, runtime: Runtime, contact: Contact, actor: Actor) -> None:
    held = session.scalars(select(Case).where(Case.requester_id == contact.id, Case.held_for_approval.is_(True)))
    for case in held.all():
        case.held_for_approval = False
        repo.record_history(session, case=case, field="held_for_approval", old=True, new=False, actor=actor)
        case.version += 1  # a change of the case like any other (B11)
        case.updated_at = utcnow()
        read = repo.case_read(repo.refreshed(session, case))
        change = {"held_for_approval": {"old": True, "new": False}}
        runtime.emit(session, CaseUpdated(case=read, changes=change, actor=actor))


def save_group(*, runtime: Runtime, data: GroupWrite, group_id: int | None = None) -> GroupRead:
    """Create or change a group and, when given, set its members (B15)."""
    with runtime.transaction() as session:
        row = get_row(session, Group, group_id, "group") if group_id else Group()
        row.name = data.name.strip()
        if data.restricted is not None:  # members-only visibility
            row.restricted = data.restricted
        session.add(row)
        check_unique(session, "name", data.name)
        if data.member_ids is not None:
            for agent_id in data.member_ids:
                model_repo.require(session, Agent, agent_id, "member_ids")
            members = session.scalars(select(GroupMember).where(GroupMember.group_id == row.id)).all()
            for member in members:
                if member.agent_id not in data.member_ids:
                    session.delete(member)
            have = {m.agent_id for m in members}
            session.add_all(GroupMember(group_id=row.id, agent_id=i) for i in set(data.member_ids) - have)
            session.flush()
        return group_read(session, row)


def save_agent(*, runtime: Runtime, data: AgentWrite, agent_id: int | None = None) -> AgentRead:
    """Create or change an agent and, when given, the groups it belongs to (B15).

    The last active admin stays one: taking their role or deactivating them answers `last_admin` (0195)."""
    with runtime.transaction() as session:
        if agent_id and (data.role is not None or data.is_admin is not None or data.active is not None):
            _lock_admins(session)
        row = get_row(session, Agent, agent_id, "agent") if agent_id else Agent(active=True, name="")
        if not agent_id and data.email is None:
            raise ValidationFailed(message="an agent needs an email address", details={"email": None})
        was_admin = bool(agent_id) and row.active and row.role == AgentRole.ADMIN.value
        if data.email is not None:
            row.email = repo.normalise_email(str(data.email))
        role = data.role_after(AgentRole(row.role) if agent_id else None)
        if role is not None or not agent_id:
            row.role = (role or AgentRole.AGENT).value
        for name in ("name", "active"):
            if getattr(data, name) is not None:
                setattr(row, name, getattr(data, name))
        if was_admin and not (row.active and row.role == AgentRole.ADMIN.value):
            _keep_an_admin(session, row)
        session.add(row)
        check_unique(session, "email", str(data.email))
        if data.group_ids is not None:
            for group_id in data.group_ids:
                model_repo.require(session, Group, group_id, "group_ids")
            for member in list(row.memberships):
                if member.group_id not in data.group_ids:
                    session.delete(member)
            have = {m.group_id for m in row.memberships}
            session.add_all(GroupMember(group_id=i, agent_id=row.id) for i in set(data.group_ids) - have)
            session.flush()
            session.refresh(row)
        return repo.agent_read(row)


def _lock_admins(session: Session) -> None:
    """Lock the active admins' rows: two admins demoting each other at once cannot leave none (PostgreSQL)."""
    admins = select(Agent.id).where(Agent.role == AgentRole.ADMIN.value, Agent.active.is_(True))
    session.execute(admins.with_for_update())


def _keep_an_admin(session: Session, row: Agent) -> None:
    others = select(Agent.id).where(Agent.role == AgentRole.ADMIN.value, Agent.active.is_(True), Agent.id != row.id)
    if session.scalar(others.limit(1)) is None:
        change = "be deactivated" if not row.active else "lose the admin role"
        raise DomainError(LAST_ADMIN, f"the last active admin cannot {change}", {"agent_id": row.id, "role": row.role})
