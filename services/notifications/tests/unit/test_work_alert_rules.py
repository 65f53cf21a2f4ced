"""Who hears about mentions, tasks and SLA targets (E2), without I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from contracts.case_work import TaskRead
from contracts.cases import Actor, AgentRef, CaseRead
from notifications.alerts.rules import (
    MENTIONED,
    SLA_BREACHED,
    SLA_WARNING,
    TASK_ASSIGNED,
    Alert,
    on_agent_mentioned,
    on_sla,
    on_task_assigned,
    sla_detail,
    task_assignee,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _case(assignee: int | None = None) -> CaseRead:
    return CaseRead.model_validate(
        {
            "id": 1,
            "number": 1001,
            "title": "Hi",
            "status": "open",
            "priority": "low",
            "source": "email",
            "assignee": {"id": assignee, "email": f"a{assignee}@x.example", "name": "A"} if assignee else None,
            "group": {"id": 3, "name": "Support"},
            "version": 1,
            "created_at": T0,
            "updated_at": T0,
        }
    )


def _task(assignee: int | None, done: bool = False) -> TaskRead:
    return TaskRead(id=5, case_id=1, title="Call back", kind="task", assignee_id=assignee, done=done, created_at=T0)


def _agent(agent_id: int) -> Actor:
    return Actor(type="agent", id=agent_id, name="Agent")


def _ref(agent_id: int) -> AgentRef:
    return AgentRef(id=agent_id, email=f"a{agent_id}@x.example")


def test_a_mention_reaches_the_named_agent_unless_they_wrote_it() -> None:
    assert on_agent_mentioned(agent=_ref(4), actor=_agent(9)) == [Alert(4, MENTIONED, "a4@x.example")]
    assert on_agent_mentioned(agent=_ref(4), actor=_agent(4)) == []


def test_a_task_is_announced_to_whom_it_was_just_given() -> None:
    assert task_assignee(task=_task(4), change="created", changes={}, actor=_agent(9)) == 4
    assert task_assignee(task=_task(None), change="created", changes={}, actor=_agent(9)) is None
    moved = {"assignee_id": {"old": 4, "new": 6}}
    assert task_assignee(task=_task(6), change="updated", changes=moved, actor=_agent(9)) == 6
    # not an assignment, an unassignment, taking it oneself, a done task, an approval decision
    assert (
        task_assignee(task=_task(6), change="updated", changes={"title": {"old": "a", "new": "b"}}, actor=None) is None
    )
    assert (
        task_assignee(task=_task(None), change="updated", changes={"assignee_id": {"old": 6, "new": None}}, actor=None)
        is None
    )
    assert task_assignee(task=_task(6), change="updated", changes=moved, actor=_agent(6)) is None
    assert task_assignee(task=_task(4, done=True), change="created", changes={}, actor=None) is None
    assert task_assignee(task=_task(4), change="decided", changes={}, actor=None) is None
    assert on_task_assigned(task=_task(4), agent=_ref(4)) == [
        Alert(4, TASK_ASSIGNED, "a4@x.example", "Task: Call back")
    ]


def test_sla_alerts_go_to_the_assignee_else_every_group_member_once() -> None:
    members = [_ref(8), _ref(7), _ref(8)]
    assert on_sla(kind=SLA_WARNING, case=_case(assignee=2), detail="d", group_members=members) == [
        Alert(2, SLA_WARNING, "a2@x.example", "d")
    ]
    assert [a.agent_id for a in on_sla(kind=SLA_BREACHED, case=_case(), detail="d", group_members=members)] == [7, 8]
    assert on_sla(kind=SLA_BREACHED, case=_case(), detail="d", group_members=[]) == []


def test_the_sla_detail_names_the_target_and_its_due_time_in_utc() -> None:
    due = datetime(2026, 1, 1, 15, 30, tzinfo=timezone(timedelta(hours=1)))
    assert (
        sla_detail(kind=SLA_BREACHED, metric="first_response", due_at=due, policy_name="Gold")
        == "First response was due 2026-01-01 14:30 UTC (policy Gold)"
    )
    assert sla_detail(kind=SLA_WARNING, metric="resolution", due_at=due, policy_name="") == (
        "Resolution is due 2026-01-01 14:30 UTC"
    )
