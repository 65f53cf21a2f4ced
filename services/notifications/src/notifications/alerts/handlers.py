"""Use cases of agents' alerts (E2), one per event: which agents the event concerns, then `fan_out`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from chassis.logging import get_logger
from chassis.nameko_runtime import Runtime
from contracts.case_work import TaskChanged
from contracts.cases import AgentRef, CaseCreated, CaseUpdated, MessageAdded
from contracts.directory import AgentMentioned
from contracts.envelope import Envelope
from contracts.sla import SlaBreached, SlaWarning
from notifications.alerts import rules
from notifications.alerts.fan_out import notify_agents
from notifications.directory.cases import CasesDirectory
from notifications.settings import NotificationsSettings

log = get_logger(__name__)


def case_created(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    envelope: Envelope,
    group_members: Callable[[int], list[AgentRef]],
) -> None:
    """On `case_created`: its assignee and the members of its group."""
    event = envelope.open(CaseCreated)
    members = group_members(event.case.group.id) if event.case.group is not None else []
    alerts = rules.on_case_created(case=event.case, actor=event.actor, group_members=members)
    notify_agents(
        session=session, runtime=runtime, settings=settings, envelope=envelope, case=event.case, alerts=alerts
    )


def case_updated(*, session: Session, runtime: Runtime, settings: NotificationsSettings, envelope: Envelope) -> None:
    """On `case_updated`: a new assignee."""
    event = envelope.open(CaseUpdated)
    alerts = rules.on_case_updated(case=event.case, changes=event.changes, actor=event.actor)
    notify_agents(
        session=session, runtime=runtime, settings=settings, envelope=envelope, case=event.case, alerts=alerts
    )


def message_added(*, session: Session, runtime: Runtime, settings: NotificationsSettings, envelope: Envelope) -> None:
    """On `message_added`: the assignee, when the customer wrote."""
    event = envelope.open(MessageAdded)
    alerts = rules.on_message_added(case=event.case, message=event.message)
    notify_agents(
        session=session, runtime=runtime, settings=settings, envelope=envelope, case=event.case, alerts=alerts
    )


def agent_mentioned(*, session: Session, runtime: Runtime, settings: NotificationsSettings, envelope: Envelope) -> None:
    """On `agent_mentioned`: the agent named in a note."""
    event = envelope.open(AgentMentioned)
    alerts = rules.on_agent_mentioned(agent=event.agent, actor=event.actor, excerpt=event.excerpt)
    notify_agents(
        session=session, runtime=runtime, settings=settings, envelope=envelope, case=event.case, alerts=alerts
    )


def task_changed(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    envelope: Envelope,
    directory: CasesDirectory,
) -> None:
    """On `task_changed`: the agent a task was given to (their address and the case come from cases)."""
    event = envelope.open(TaskChanged)
    agent_id = rules.task_assignee(task=event.task, change=event.change, changes=event.changes, actor=event.actor)
    if agent_id is None:
        return
    agent = directory.agent(agent_id)
    if agent is None:
        log.info("task_assignee_unknown", task_id=event.task.id, agent_id=agent_id)
        return
    case = directory.case(event.task.case_id)
    alerts = rules.on_task_assigned(task=event.task, agent=agent)
    notify_agents(session=session, runtime=runtime, settings=settings, envelope=envelope, case=case, alerts=alerts)


def sla_alert(
    *,
    session: Session,
    runtime: Runtime,
    settings: NotificationsSettings,
    envelope: Envelope,
    group_members: Callable[[int], list[AgentRef]],
) -> None:
    """On `sla_warning` / `sla_breached`: the case's assignee, else its group's members."""
    event = envelope.open(SlaBreached if envelope.event_type == rules.SLA_BREACHED else SlaWarning)
    case, kind = event.case, envelope.event_type
    detail = rules.sla_detail(kind=kind, metric=event.metric.value, due_at=event.due_at, policy_name=event.policy_name)
    members = group_members(case.group.id) if case.assignee is None and case.group is not None else []
    alerts = rules.on_sla(kind=kind, case=case, detail=detail, group_members=members)
    notify_agents(session=session, runtime=runtime, settings=settings, envelope=envelope, case=case, alerts=alerts)
