"""Who among the agents is told what (E2), without I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts.cases import Actor, AgentRef, CaseRead, MessageRead
from notifications.alerts.rules import (
    ASSIGNED_TO_ME,
    CUSTOMER_REPLIED,
    NEW_CASE_IN_GROUP,
    Alert,
    on_case_created,
    on_case_updated,
    on_message_added,
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


def _agent(agent_id: int) -> Actor:
    return Actor(type="agent", id=agent_id, name="Agent")


def _message(author_type: str, visibility: str = "public") -> MessageRead:
    data = {"id": 9, "case_id": 1, "author_type": author_type, "visibility": visibility, "channel": "email"}
    return MessageRead.model_validate({**data, "created_at": T0})


def _members(*ids: int) -> list[AgentRef]:
    return [AgentRef(id=i, email=f"a{i}@x.example") for i in ids]


def test_a_new_case_tells_its_group_and_its_assignee_once_each() -> None:
    alerts = on_case_created(case=_case(assignee=7), actor=None, group_members=_members(5, 7, 6))
    assert alerts == [
        Alert(7, ASSIGNED_TO_ME, "a7@x.example"),
        Alert(5, NEW_CASE_IN_GROUP, "a5@x.example"),
        Alert(6, NEW_CASE_IN_GROUP, "a6@x.example"),
    ]


def test_the_agent_who_opened_the_case_is_not_told_about_it() -> None:
    alerts = on_case_created(case=_case(assignee=5), actor=_agent(5), group_members=_members(5, 6))
    assert alerts == [Alert(6, NEW_CASE_IN_GROUP, "a6@x.example")]


def test_a_new_assignee_is_told_unless_they_took_it_themselves() -> None:
    changes = {"assignee_id": {"old": None, "new": 8}}
    told = on_case_updated(case=_case(8), changes=changes, actor=_agent(2))
    assert told == [Alert(8, ASSIGNED_TO_ME, "a8@x.example")]
    assert on_case_updated(case=_case(8), changes=changes, actor=_agent(8)) == []
    assert on_case_updated(case=_case(None), changes={"assignee_id": {"old": 8, "new": None}}, actor=None) == []
    assert on_case_updated(case=_case(8), changes={"title": {"old": "a", "new": "b"}}, actor=None) == []


def test_the_assignee_hears_when_the_customer_wrote_but_not_about_notes_or_robots() -> None:
    assert on_message_added(case=_case(7), message=_message("contact")) == [Alert(7, CUSTOMER_REPLIED, "a7@x.example")]
    assert on_message_added(case=_case(7), message=_message("agent", "internal")) == []
    assert on_message_added(case=_case(7), message=_message("system", "internal")) == []
    assert on_message_added(case=_case(None), message=_message("contact")) == []
