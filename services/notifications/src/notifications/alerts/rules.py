"""Agents' notifications (E2), pure: which agents are told about what happened on a case, what they chose
to get on which channel, and what an alert says by SMS and by Web Push."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from contracts.case_work import TaskRead
from contracts.cases import Actor, AgentRef, AuthorType, CaseRead, MessageRead
from contracts.errors import ValidationFailed

NEW_CASE_IN_GROUP = "new_case_in_group"
ASSIGNED_TO_ME = "assigned_to_me"
CUSTOMER_REPLIED = "customer_replied"
MENTIONED = "mentioned"
TASK_ASSIGNED = "task_assigned"
SLA_WARNING = "sla_warning"
SLA_BREACHED = "sla_breached"

LABELS = {
    NEW_CASE_IN_GROUP: "New case in your group",
    ASSIGNED_TO_ME: "Assigned to you",
    CUSTOMER_REPLIED: "The customer replied",
    MENTIONED: "You were mentioned",
    TASK_ASSIGNED: "Task assigned to you",
    SLA_WARNING: "SLA warning",
    SLA_BREACHED: "SLA breached",
}
# one SMS segment of GSM-7 text is 160 characters; an alert stays within two
MAX_ALERT_SMS = 320
# a push message may carry 4 KiB after encryption; titles are cut well below that
MAX_PUSH_TEXT = 300


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


# -- what each agent chose (preferences per kind and channel): on unless the agent turned it off

KINDS = (NEW_CASE_IN_GROUP, ASSIGNED_TO_ME, CUSTOMER_REPLIED, MENTIONED, TASK_ASSIGNED, SLA_WARNING, SLA_BREACHED)
IN_APP = "in_app"
EMAIL = "email"
PUSH = "push"
SMS = "sms"
CHANNELS = (IN_APP, EMAIL, PUSH, SMS)
# in-app is quiet and on by default; mail to agents is opt-in (their inbox is not our log); push reaches only
# browsers the agent subscribed, which is the opt-in, so every kind is on until they turn it off (decision 0097)
DEFAULTS: Mapping[tuple[str, str], bool] = {
    **{(kind, IN_APP): True for kind in KINDS},
    **{(kind, EMAIL): False for kind in KINDS},
    **{(kind, PUSH): True for kind in KINDS},
    # an SMS costs money and wakes people: only what the agent asked for (decision 0099)
    **{(kind, SMS): False for kind in KINDS},
}


def validate(kind: str, channel: str) -> None:
    """ValidationFailed for an event or channel we do not notify through."""
    if kind not in KINDS or channel not in CHANNELS:
        raise ValidationFailed(
            message="unknown notification kind or channel",
            details={"kind": kind, "channel": channel, "kinds": list(KINDS), "channels": list(CHANNELS)},
        )


def wanted(kind: str, channel: str, choices: Mapping[tuple[str, str], bool]) -> bool:
    """Whether the agent gets `kind` through `channel`: their choice, else the default."""
    return choices.get((kind, channel), DEFAULTS.get((kind, channel), False))


def effective(choices: Mapping[tuple[str, str], bool]) -> dict[str, dict[str, bool]]:
    """Every kind and channel with the agent's resulting setting (what the API shows)."""
    return {kind: {channel: wanted(kind, channel, choices) for channel in CHANNELS} for kind in KINDS}


# -- what an alert says on each channel


def label(kind: str) -> str:
    return LABELS.get(kind, kind)


def delivery_kind(alert: Alert) -> str:
    """The delivery log's kind of an alert sent by mail, SMS or push."""
    return f"agent_{alert.kind}"[:30]


def sms_text(*, alert: Alert, case: CaseRead, case_url: str) -> str:
    """ "Assigned to you: #1001 Printer on fire. <link>", cut to two SMS segments (the link is kept whole)."""
    about = " ".join(part for part in (case.title, alert.detail) if part)
    head = f"{label(alert.kind)}: #{case.number} "
    room = MAX_ALERT_SMS - len(head) - len(case_url) - 2
    if len(about) > room:
        about = about[: max(room - 1, 0)].rstrip() + "…"
    return f"{head}{about}. {case_url}"


@dataclass(frozen=True)
class PushMessage:
    title: str
    raw: bytes


def push_message(*, alert: Alert, case: CaseRead, case_url: str) -> PushMessage:
    """The title (also the delivery's subject) and the JSON payload of an alert's push."""
    title = f"{label(alert.kind)}: #{case.number}"[:MAX_PUSH_TEXT]
    body = " · ".join(part for part in (case.title, alert.detail) if part)[:MAX_PUSH_TEXT]
    payload = {
        "title": title,
        "body": body,
        "url": case_url,
        "tag": f"case-{case.id}-{alert.kind}",
        "kind": alert.kind,
        "case_id": case.id,
        "case_number": case.number,
    }
    return PushMessage(title=title, raw=json.dumps(payload, separators=(",", ":")).encode())
