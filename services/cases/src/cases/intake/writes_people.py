"""Who an inbound mail involves (A2, E6): CC'd followers of a new case, and who may join a threaded case.

See decision 0085. Pure choices live in `cases.intake.rules`; this module only reads and writes rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from cases.case.tables import Case, CaseFollower, Message
from cases.common import model_repo, repo
from cases.config.tables import FieldConfig
from cases.directory.rules import is_colleague as is_colleague_address
from cases.directory.tables import Agent, Contact, Organisation
from cases.intake.rules import cc_candidates
from chassis.db import utcnow
from contracts.cases import Actor, AuthorType, Visibility
from contracts.mail_gateway import MailReceived


def sender_belongs(session: Session, case: Case, contact_id: int | None, email: str) -> bool:
    """The sender is the case's requester, one of its followers, or a participant.

    A participant is a contact who wrote a public message on the case (by contact id, or by the
    address for messages written before the contact existed). One query, no relationship loads.
    """
    if contact_id is not None and case.requester_id == contact_id:
        return True
    address = repo.normalise_email(email)
    conditions = [
        exists().where(
            Message.case_id == case.id,
            Message.author_type == AuthorType.CONTACT.value,
            Message.visibility == Visibility.PUBLIC.value,
            or_(Message.author_id == contact_id, Message.author_email == address)
            if contact_id is not None
            else Message.author_email == address,
        )
    ]
    if contact_id is not None:
        conditions.append(exists().where(CaseFollower.case_id == case.id, CaseFollower.contact_id == contact_id))
    return bool(session.scalar(select(or_(*conditions))))


def is_colleague(session: Session, case: Case, email: str) -> bool:
    """The sender is at a registered domain of the requester's organisation, whose setting lets colleagues join.

    A free-mail domain never counts, even if one was registered before the rule existed (decision 0220).
    """
    if case.requester_id is None:
        return False
    organisation = session.scalar(
        select(Organisation)
        .join(Contact, Contact.organisation_id == Organisation.id)
        .where(Contact.id == case.requester_id)
    )
    if organisation is None or not organisation.colleagues_join_publicly:
        return False
    return is_colleague_address(email, list(organisation.domains or []))


@dataclass
class CcFollowers:
    """The follower ids a new case from mail gets, and what was left out (for the case's history)."""

    follower_ids: list[int] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    reason: str | None = None  # why `skipped` were not added


def followers_from_cc(
    session: Session, payload: MailReceived, *, hold_unknown: bool, case: Case | None = None
) -> CcFollowers:
    """Contacts for the Cc addresses of a mail that opens a case, or of a reply-all on `case` (created as needed).

    The gateway has already removed our own mailboxes from `cc`; BCC recipients never reach it.
    The sender, agents and invalid addresses are left out, and on a reply the requester and the followers
    the case already has. When the admin switched the followers field off or hid it, nobody is added and
    the case's history says so: the mail must still become (part of) a case.
    New contacts follow the same approval rule as an unknown sender (B15).
    """
    if not payload.cc:
        return CcFollowers()
    agents = {
        e.lower()
        for e in session.scalars(
            select(Agent.email).where(Agent.email.in_([repo.normalise_email(a.email) for a in payload.cc]))
        )
    }
    wanted = cc_candidates([(a.email, a.name) for a in payload.cc], sender=payload.from_address.email, excluded=agents)
    if case is not None:
        on_case = {f.id for f in case.followers} | ({case.requester_id} if case.requester_id is not None else set())
        wanted = [(e, n) for e, n in wanted if (c := repo.find_contact(session, e)) is None or c.id not in on_case]
    if not wanted:
        return CcFollowers()
    config = session.get(FieldConfig, "follower_ids")
    if config is not None and (not config.used or config.hidden):
        why = "followers field not in use" if not config.used else "followers field hidden"
        return CcFollowers(skipped=[email for email, _ in wanted], reason=why)
    ids: list[int] = []
    for email, name in wanted:
        contact = repo.find_contact(session, email) or repo.get_or_create_contact(
            session, email=email, name=name, approved=not hold_unknown
        )
        ids.append(contact.id)
    return CcFollowers(follower_ids=sorted(set(ids)))


def add_reply_followers(session: Session, case: Case, result: CcFollowers, actor: Actor) -> None:
    """The people a reply-all from someone on the case copied follow it from now on (decision 0218).

    Written before the reply's message, so its `message_added` already lists them; the history says who
    was added (as an agent's change of followers does) or, with the field off or hidden, who was not.
    """
    record_skipped(session, case, result, actor)
    if not result.follower_ids:
        return
    before = [f.id for f in case.followers]
    after = sorted({*before, *result.follower_ids})
    model_repo.set_followers(session, case, after)
    repo.record_history(
        session,
        case=case,
        field="followers",
        old=", ".join(map(str, before)),
        new=", ".join(map(str, after)),
        actor=actor,
    )


def record_skipped(session: Session, case: Case, result: CcFollowers, actor: Actor) -> None:
    """Say in the case's history which Cc addresses did not become followers, and why."""
    if result.skipped:
        repo.record_history(
            session,
            case=case,
            field="followers_not_added",
            old=None,
            new=f"{', '.join(result.skipped)} ({result.reason})",
            actor=actor,
        )


def link_to_thread(session: Session, runtime: Any, *, new_case: Case, threaded: Case, actor: Actor) -> None:
    """A stranger's mail on another case's thread opened `new_case`: relate the two (both histories, `case_linked`).

    The threaded case is already locked by the caller; only the new case's version moves (the
    other case's conversation did not change, so its version is left alone to spare agents a conflict).
    """
    from cases.links.reads import link_read
    from cases.links.tables import CaseLink
    from contracts.case_work import CaseLinked, LinkKind

    row = CaseLink(case_id=new_case.id, other_case_id=threaded.id, kind=LinkKind.RELATED.value, created_at=utcnow())
    session.add(row)
    repo.record_history(session, case=new_case, field="related_added", old=None, new=threaded.number, actor=actor)
    repo.record_history(session, case=threaded, field="related_added", old=None, new=new_case.number, actor=actor)
    session.flush()
    runtime.emit(session, CaseLinked(link=link_read(row), actor=actor))
