"""Automation of the case model (B2/B3/B8/B15): reply rules per setting, dormancy wake-up, follow-ups, mentions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.case import rules as workflow
from cases.case import rules_mentions as mentions
from cases.case.tables import Case, Mention, Message
from cases.common import model_repo, repo
from cases.common.case_state import stamp_status, touch
from cases.config import rules_statuses as statuses
from cases.directory.tables import Agent
from chassis.db import utcnow
from chassis.logging import get_logger
from contracts.case_config import ClosedReplyAction
from contracts.cases import Actor, AgentRef, AuthorType, CaseUpdated, Channel, Status
from contracts.directory import AgentMentioned

if TYPE_CHECKING:
    from cases.common.runtime import Runtime

log = get_logger(__name__)
TIMER_ACTOR = Actor(type=AuthorType.SYSTEM, name="dormancy timer", channel=Channel.SYSTEM)


def status_after_message(session: Session, *, case: Case, author: AuthorType, public: bool) -> Status:
    """The status a message leaves the case in, per the workspace's automation settings (B3)."""
    current = Status(case.status)
    if not public:
        return current
    setting = model_repo.settings(session)
    if author == AuthorType.AGENT:
        if not setting.agent_reply_sets_waiting:
            return current
        return workflow.status_after_agent_reply(current, has_assignee=case.assignee_id is not None)
    if author == AuthorType.CONTACT:
        if current == Status.CLOSED and setting.closed_reply == ClosedReplyAction.REOPEN:
            return Status.OPEN
        return workflow.status_after_contact_reply(current, reopens=setting.contact_reply_reopens)
    return current


def follow_category(session: Session, case: Case, target: Status) -> dict[str, dict[str, Any]]:
    """After a rule moved the category: the built-in status of it, and no wake-up time outside dormant."""
    changes: dict[str, dict[str, Any]] = {}
    # the built-in status of the category: the `status` change already says it, no row of its own
    case.status_id = statuses.pick(model_repo.statuses(session), category=target).id
    if target != Status.DORMANT and case.dormant_until is not None:
        changes["dormant_until"] = {"old": case.dormant_until.isoformat(), "new": None}
        case.dormant_until = None
    return changes


def wants_follow_up(session: Session, case: Case, author: AuthorType) -> bool:
    """A customer's reply to a closed case opens a follow-up case when the setting says so (B3)."""
    return (
        author == AuthorType.CONTACT
        and case.status == Status.CLOSED.value
        and model_repo.settings(session).closed_reply == ClosedReplyAction.FOLLOW_UP
    )


def wake_dormant_cases(*, runtime: Runtime, limit: int = 100) -> int:
    """Put dormant cases whose period ended back to open, with a history row saying why (B2)."""
    now = utcnow()
    with runtime.transaction() as session:
        due = session.scalars(
            select(Case.id)
            .where(Case.status == Status.DORMANT.value, Case.dormant_until <= now)
            .order_by(Case.dormant_until)
            .limit(limit)
        ).all()
    woken = 0
    for case_id in due:
        with runtime.transaction() as session:  # one case per transaction: one bad row stops nothing else
            case = repo.lock_case(session, case_id)
            if not statuses.should_wake(status=Status(case.status), until=case.dormant_until, now=now):
                continue  # an agent changed it meanwhile
            assert case.dormant_until is not None
            reason = statuses.wake_reason(case.dormant_until)
            delta: dict[str, dict[str, Any]] = {"status": {"old": case.status, "new": Status.OPEN.value}}
            case.status = Status.OPEN.value
            delta.update(follow_category(session, case, Status.OPEN))
            for name, change in delta.items():
                repo.record_history(
                    session, case=case, field=name, old=change["old"], new=change["new"], actor=TIMER_ACTOR
                )
            repo.record_history(session, case=case, field="status_reason", old=None, new=reason, actor=TIMER_ACTOR)
            stamp_status(case, Status.OPEN, now)
            touch(case, now)
            read = repo.case_read(repo.refreshed(session, case))
            runtime.emit(
                session,
                CaseUpdated(
                    case=read, changes={**delta, "status_reason": {"old": None, "new": reason}}, actor=TIMER_ACTOR
                ),
            )
            woken += 1
    if woken:
        log.info("dormant_cases_woken", count=woken)
    return woken


def record_mentions(session: Session, runtime: Runtime, *, case: Case, message: Message, actor: Actor) -> list[int]:
    """Mention rows and one agent_mentioned event per agent named with @ in an internal note (B8)."""
    agents = session.scalars(select(Agent).where(Agent.active.is_(True))).all()
    known = [mentions.AgentName(id=a.id, email=a.email, name=a.name) for a in agents]
    ids = mentions.mentioned(message.body_text, known)
    if not ids:
        return []
    read = repo.case_read(case)
    by_id = {a.id: a for a in agents}
    known_by_id = {a.id: a for a in known}
    for agent_id in ids:
        session.add(Mention(case_id=case.id, message_id=message.id, agent_id=agent_id))
        agent = by_id[agent_id]
        repo.record_history(session, case=case, field="mention", old=None, new=agent.email, actor=actor)
        runtime.emit(
            session,
            AgentMentioned(
                case=read,
                message_id=message.id,
                agent=AgentRef(id=agent.id, email=agent.email, name=agent.name),
                actor=actor,
                excerpt=mentions.excerpt(message.body_text, known_by_id[agent_id]),
            ),
        )
    return ids
