"""The agent's two answers to a mail from someone not on the case (decision 0220): make it public, or add
its sender as a follower. One transaction each, on the locked case, with a history row and `case_updated`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.case.tables import Case, Message
from cases.common import model_repo, repo
from cases.common.case_state import touch
from cases.common.runtime import Runtime
from contracts import errors
from contracts.cases import Actor, AuthorType, CaseRead, CaseUpdated, MessageRead, Visibility


def make_public(*, runtime: Runtime, case_id: int, message_id: int, actor: Actor) -> MessageRead:
    """The flagged entry becomes a public message of its sender; nothing is mailed (a contact wrote it)."""
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        message = _flagged(session, case, message_id)
        if message.visibility != Visibility.PUBLIC.value:
            message.visibility = Visibility.PUBLIC.value
            # the history names the entry; the event's change says what moved
            change = {"old": None, "new": f"{message.author_email} (message {message.id})"}
            _changed(session, runtime, case, {"message_made_public": change}, actor)
        return repo.message_read(message)


def add_sender_as_follower(*, runtime: Runtime, case_id: int, message_id: int, actor: Actor) -> CaseRead:
    """The flagged entry's sender follows the case (a contact made for the address if needed)."""
    with runtime.transaction() as session:
        case = repo.lock_case(session, case_id)
        message = _flagged(session, case, message_id)
        contact = repo.get_or_create_contact(
            session,
            email=message.author_email or "",
            name=message.author_name,
            approved=not model_repo.settings(session).hold_unknown_senders,
        )
        if message.author_id is None:
            message.author_id = contact.id
        before = sorted(f.id for f in case.followers)
        if contact.id not in before and contact.id != case.requester_id:
            after = sorted({*before, contact.id})
            model_repo.set_followers(session, case, after)
            session.expire(case, ["followers"])
            change: dict[str, str | None] = {"old": ", ".join(map(str, before)), "new": ", ".join(map(str, after))}
            _changed(session, runtime, case, {"followers": change}, actor)
        return repo.case_read(repo.refreshed(session, case))


def _flagged(session: Session, case: Case, message_id: int) -> Message:
    message = session.scalar(select(Message).where(Message.id == message_id, Message.case_id == case.id))
    if message is None:
        raise errors.NotFound(message=f"message {message_id} not found", details={"message_id": message_id})
    if not message.from_outsider or message.author_type != AuthorType.CONTACT.value or not message.author_email:
        raise errors.ValidationFailed(
            errors.NOT_FROM_OUTSIDER,
            f"message {message_id} is not a mail from someone not on the case",
            {"message_id": message_id},
        )
    return message


def _changed(
    session: Session, runtime: Runtime, case: Case, changes: dict[str, dict[str, str | None]], actor: Actor
) -> None:
    for name, change in changes.items():
        repo.record_history(session, case=case, field=name, old=change["old"], new=change["new"], actor=actor)
    touch(case)
    session.flush()
    runtime.emit(session, CaseUpdated(case=repo.case_read(repo.refreshed(session, case)), changes=changes, actor=actor))
