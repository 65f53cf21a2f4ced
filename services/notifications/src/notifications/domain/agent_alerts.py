"""Which agents are told about what happened on a case (E2): pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.case_work import TaskRead
from contracts.cases import Actor, AgentRef, AuthorType, CaseRead, MessageRead

NEW_CASE_IN_GROUP = "new_case_in_group"
ASSIGNED_TO_ME = "assigned_to_me"
CUSTOMER_REPLIED = "customer_replied"
MENTIONED = "mentioned"
TASK_ASSIGNED = "task_assigned"
SLA_WARNING = "sla_warning"
SLA_BREACHED = "sla_breached"


@dataclass(frozen=True)
class Alert:
    agent_id: int
    kind: str
    email: str | None = None  # where a mail goes, when the agent wants this kind by email
    detail: str = ""  # one line more than the case's title (which task, which SLA target)


def _not_the_actor(alerts: Iterable[Alert], actor: Actor | None) -> list[Alert]:
    # nobody is told about what they did themselves
    own = actor.id if actor is not None and actor.type == AuthorType.AGENT else None
    seen: set[int] = set()
    kept = []
    for alert in alerts:
        if alert.agent_id != own and alert.agent_id not in seen:
            seen.add(alert.agent_id)
            kept.append(alert)
    return kept


def on_case_created(*, case: CaseRead, actor: Actor | None, group_members: Iterable[AgentRef]) -> list[Alert]:
    """The assignee hears "assigned to me"; the rest of the case's group hears "new case in my group"."""
    alerts = [Alert(case.assignee.id, ASSIGNED_TO_ME, case.assignee.email)] if case.assignee else []
    alerts += [Alert(a.id, NEW_CASE_IN_GROUP, a.email) for a in sorted(group_members, key=lambda a: a.id)]
    return _not_the_actor(alerts, actor)


def on_case_updated(*, case: CaseRead, changes: dict[str, dict[str, Any]], actor: Actor | None) -> list[Alert]:
    """A new assignee hears "assigned to me"."""
    new = changes.get("assignee_id", {}).get("new")
    if not isinstance(new, int):
        return []
    email = case.assignee.email if case.assignee is not None and case.assignee.id == new else None
    return _not_the_actor([Alert(new, ASSIGNED_TO_ME, email)], actor)


def on_message_added(*, case: CaseRead, message: MessageRead) -> list[Alert]:
    """The assignee hears when the customer wrote on their case (not notes, not robots)."""
    if message.author_type != AuthorType.CONTACT or case.assignee is None:
        return []
    return [Alert(case.assignee.id, CUSTOMER_REPLIED, case.assignee.email)]


def on_agent_mentioned(*, agent: AgentRef, actor: Actor | None, excerpt: str = "") -> list[Alert]:
    """The agent named with @ in a note hears "mentioned" (not when they named themselves), with the note's excerpt."""
    return _not_the_actor([Alert(agent.id, MENTIONED, agent.email, detail=excerpt)], actor)


def task_assignee(
    *, task: TaskRead, change: str, changes: dict[str, dict[str, Any]], actor: Actor | None
) -> int | None:
    """The agent a task was just given to: on creation with an assignee, or a new assignee on update."""
    if task.done:
        return None
    if change == "created":
        new: object = task.assignee_id
    elif change == "updated":
        new = changes.get("assignee_id", {}).get("new")
    else:
        return None
    if not isinstance(new, int) or isinstance(new, bool):
        return None
    own = actor.id if actor is not None and actor.type == AuthorType.AGENT else None
    return None if new == own else new


def on_task_assigned(*, task: TaskRead, agent: AgentRef) -> list[Alert]:
    return [Alert(agent.id, TASK_ASSIGNED, agent.email, detail=f"Task: {task.title}")]


def on_sla(*, kind: str, case: CaseRead, detail: str, group_members: Iterable[AgentRef]) -> list[Alert]:
    """An SLA warning or breach goes to the case's assignee, else to every member of its group."""
    if case.assignee is not None:
        return [Alert(case.assignee.id, kind, case.assignee.email, detail=detail)]
    alerts = [Alert(a.id, kind, a.email, detail=detail) for a in sorted(group_members, key=lambda a: a.id)]
    return _not_the_actor(alerts, None)


def sla_detail(*, kind: str, metric: str, due_at: datetime, policy_name: str) -> str:
    """ "First response due 14:00 UTC (policy Gold)": what the SLA alert is about."""
    what = {"first_response": "First response", "resolution": "Resolution"}.get(metric, metric)
    verb = "was due" if kind == SLA_BREACHED else "is due"
    when = due_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    policy = f" (policy {policy_name})" if policy_name else ""
    return f"{what} {verb} {when}{policy}"
