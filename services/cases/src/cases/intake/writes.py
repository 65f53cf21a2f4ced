"""Mail-to-case (A2): open a case, add the reply to its case, keep an auto-reply, or drop it.

Also the other half of threading (E6): the Message-ID our reply went out with, stored on its message.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.case import writes_automation as case_rules
from cases.case.tables import Case, Message
from cases.case.writes import build_case, follow_up, open_case, post_message
from cases.common import batch_lookups, model_repo, repo
from cases.common.runtime import Runtime
from cases.directory.tables import Contact, Group
from cases.intake import writes_people as mail_people
from cases.intake.rules import MailAction, decide, join_reason
from chassis.logging import get_logger
from contracts import errors
from contracts.cases import Actor, AuthorType, CaseCreate, Channel, Source, Visibility
from contracts.mail_gateway import MailReceived
from contracts.notifications import NotificationSent

log = get_logger(__name__)


# -- events from other services --------------------------------------------------------------


def apply_mail_received(
    *, runtime: Runtime, session: Session, payload: MailReceived, correlation_id: str | None = None
) -> None:
    """Email-to-case (A2): open a case, add the reply to its case, keep an auto-reply, or drop it."""
    if session.scalar(select(Message.id).where(Message.inbound_mail_id == payload.inbound_mail_id)) is not None:
        return  # this mail is already on a case (re-sent under a new event id)
    try:
        with session.begin_nested():
            apply_mail(runtime=runtime, session=session, payload=payload, correlation_id=correlation_id)
    except IntegrityError as exc:
        # the same mail under another event id, applied concurrently by another worker: it won
        if "inbound_mail_id" not in str(exc.orig):
            raise
        log.info("mail_already_applied", inbound_mail_id=payload.inbound_mail_id)


def apply_mail(*, runtime: Runtime, session: Session, payload: MailReceived, correlation_id: str | None) -> None:
    sender = payload.from_address
    case = _threaded_case(session, payload.thread.case_id)
    contact = repo.find_contact(session, sender.email)
    # requester, follower or participant (E6, decision 0085)
    belongs = case is not None and mail_people.sender_belongs(
        session, case, contact.id if contact else None, sender.email
    )
    # someone else on the thread: a colleague of the requester, or whatever the mailbox says (decision 0220)
    colleague = case is not None and not belongs and mail_people.is_colleague(session, case, sender.email)
    action = decide(
        kind=payload.kind,
        threaded_case_exists=case is not None,
        sender_belongs=belongs,
        colleague=colleague,
        outsider_reply=payload.outsider_reply,
    )
    if action == MailAction.DROP:
        log.info("mail_dropped", inbound_mail_id=payload.inbound_mail_id, kind=payload.kind.value)
        return
    if case is not None and action in (MailAction.REPLY_AS_FOLLOWER, MailAction.OUTSIDER_NOTE):
        _join_from_outsider(
            session,
            runtime,
            case=case,
            contact=contact,
            payload=payload,
            action=action,
            colleague=colleague,
            correlation_id=correlation_id,
        )
        return
    if action in (MailAction.REPLY, MailAction.ATTACH_SYSTEM):
        assert case is not None
        is_reply = action == MailAction.REPLY
        author_type = AuthorType.CONTACT if is_reply else AuthorType.SYSTEM
        author_id = contact.id if is_reply and contact else None
        actor = Actor(type=author_type, id=author_id, name=sender.name, email=sender.email, channel=Channel.EMAIL)
        message = _mail_message(payload, actor, Visibility.PUBLIC if is_reply else Visibility.INTERNAL)
        if case_rules.wants_follow_up(session, case, author_type):
            follow_up(session, runtime, closed=case, message=message, actor=actor, correlation_id=correlation_id)
            return
        if is_reply and payload.cc:  # a reply-all: whoever it copies follows the case (decision 0218)
            hold_unknown = model_repo.settings(session).hold_unknown_senders
            cc = mail_people.followers_from_cc(session, payload, hold_unknown=hold_unknown, case=case)
            mail_people.add_reply_followers(session, case, cc, actor)
        post_message(session, runtime, case=case, message=message, actor=actor, correlation_id=correlation_id)
        return
    hold_unknown = model_repo.settings(session).hold_unknown_senders
    held = contact is None and hold_unknown
    if contact is None:  # B15: with hold_unknown_senders, an unknown sender waits for an agent's approval
        contact = repo.get_or_create_contact(session, email=sender.email, name=sender.name, approved=not held)
    elif not contact.name and sender.name.strip():
        contact.name = sender.name.strip()  # as get_or_create_contact does, without looking it up again
    actor = Actor(type=AuthorType.CONTACT, id=contact.id, name=contact.name, email=sender.email, channel=Channel.EMAIL)
    cc = mail_people.followers_from_cc(session, payload, hold_unknown=hold_unknown)  # A2, decision 0085
    group = _group(session, payload.default_group)
    data = CaseCreate(
        title=(payload.subject.strip() or "(no subject)")[:500],
        description=payload.text_body[:100_000],
        source=Source.EMAIL,
        group_id=group.id if group else None,
        follower_ids=cc.follower_ids,
    )
    lookups = batch_lookups.current(session)
    if case is None and lookups is not None:
        # in a group of mails (decision 0127): built and checked now, inserted with the group's other new cases
        new = build_case(
            session,
            data=data,
            requester_id=contact.id,
            actor=actor,
            held=not contact.approved,
            mailbox=payload.mailbox.strip().lower() or None,
            intake=True,  # decision 0110
        )
        new.first_message, new.correlation_id = _mail_message(payload, actor, Visibility.PUBLIC), correlation_id
        lookups.deferred.append((new, cc))
        return
    new_case = open_case(
        session,
        runtime,
        data=data,
        requester_id=contact.id,
        actor=actor,
        first_message=_mail_message(payload, actor, Visibility.PUBLIC),
        correlation_id=correlation_id,
        held=not contact.approved,
        mailbox=payload.mailbox.strip().lower() or None,
        intake=True,  # decision 0110
    )
    mail_people.record_skipped(session, new_case, cc, actor)
    if case is not None:  # the mailbox opens a case for someone not on the thread's case, related to it
        why = join_reason(action, colleague=False, outsider_reply=payload.outsider_reply)
        repo.record_history(session, case=case, field="mail_joined", old=sender.email, new=why, actor=actor)
        mail_people.link_to_thread(session, runtime, new_case=new_case, threaded=case, actor=actor)


def _join_from_outsider(
    session: Session,
    runtime: Runtime,
    *,
    case: Case,
    contact: Contact | None,
    payload: MailReceived,
    action: MailAction,
    colleague: bool,
    correlation_id: str | None,
) -> None:
    """A mail on `case`'s thread from someone not on it joins it (decision 0220), the history saying how.

    Publicly, the sender becoming a follower (a colleague of the requester, or the mailbox says so), or as
    an internal entry flagged `from_outsider`: internal entries are never mailed to anyone, and the agent
    can make it public or add the sender as a follower from the conversation.
    """
    sender = payload.from_address
    public = action == MailAction.REPLY_AS_FOLLOWER
    if public and contact is None:  # a follower is a contact; an unknown one waits for approval like Cc (B15)
        hold_unknown = model_repo.settings(session).hold_unknown_senders
        contact = repo.get_or_create_contact(session, email=sender.email, name=sender.name, approved=not hold_unknown)
    author_id = contact.id if contact else None
    actor = Actor(type=AuthorType.CONTACT, id=author_id, name=sender.name, email=sender.email, channel=Channel.EMAIL)
    why = join_reason(action, colleague=colleague, outsider_reply=payload.outsider_reply)
    repo.record_history(session, case=case, field="mail_joined", old=sender.email, new=why, actor=actor)
    if public:
        assert contact is not None
        mail_people.add_reply_followers(session, case, mail_people.CcFollowers(follower_ids=[contact.id]), actor)
        message = _mail_message(payload, actor, Visibility.PUBLIC)
        if case_rules.wants_follow_up(session, case, AuthorType.CONTACT):
            follow_up(session, runtime, closed=case, message=message, actor=actor, correlation_id=correlation_id)
            return
    else:
        message = _mail_message(payload, actor, Visibility.INTERNAL)
        message.from_outsider = True
    post_message(session, runtime, case=case, message=message, actor=actor, correlation_id=correlation_id)


def _threaded_case(session: Session, case_id: int | None) -> Case | None:
    if case_id is None:
        return None
    lookups = batch_lookups.current(session)  # a group of mails locked its threaded cases at once (0127)
    if lookups is not None and case_id in lookups.cases:
        return lookups.cases[case_id]
    try:
        return repo.lock_case(session, case_id)
    except errors.NotFound:
        return None


def _group(session: Session, name: str | None) -> Group | None:
    # the whole row, held by the caller: open_case's require_group then finds it in the session's
    # (weak-referencing) identity map instead of asking the database again
    lookups = batch_lookups.current(session)  # a group of mails looked the names up at once (0127)
    if name and lookups is not None and name in lookups.groups:
        return lookups.groups[name]
    return session.scalar(select(Group).where(Group.name == name)) if name else None


def _mail_message(payload: MailReceived, actor: Actor, visibility: Visibility) -> Message:
    return Message(
        author_type=actor.type.value,
        author_id=actor.id,
        author_name=actor.name,
        author_email=repo.normalise_email(payload.from_address.email),
        visibility=visibility.value,
        channel=Channel.EMAIL.value,
        body_text=payload.text_body,
        body_html=payload.html_body,
        email_message_id=payload.message_id,
        in_reply_to=payload.in_reply_to[0] if payload.in_reply_to else None,
        inbound_mail_id=payload.inbound_mail_id,
        attachments=[a.model_dump(mode="json") for a in payload.attachments],
    )


def apply_notification_sent(*, session: Session, payload: NotificationSent) -> None:
    """Remember the Message-ID our reply went out with, so the customer's answer threads back (E6)."""
    if payload.case_message_id is None or not payload.email_message_id:
        return
    message = session.get(Message, payload.case_message_id)
    if message is None or (payload.case_id is not None and message.case_id != payload.case_id):
        raise errors.NotFound(
            message=f"message {payload.case_message_id} not found", details={"case_id": payload.case_id}
        )
    # confirmations quote the customer's own message: its Message-ID is theirs and must stay
    if message.author_type == AuthorType.AGENT.value:
        message.email_message_id = payload.email_message_id
