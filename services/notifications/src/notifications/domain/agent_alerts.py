"""Which agents are told about what happened on a case (E2): pure rules, no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from contracts.cases import Actor, AgentRef, AuthorType, CaseRead, MessageRead

NEW_CASE_IN_GROUP = "new_case_in_group"
ASSIGNED_TO_ME = "assigned_to_me"
CUSTOMER_REPLIED = "customer_replied"


@dataclass(frozen=True)
class Alert:
    agent_id: int
    kind: str
    email: str | None = None  # where a mail goes, when the agent wants this kind by email


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
