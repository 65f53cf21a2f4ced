"""Status rules (B2/B3) without I/O."""

from datetime import UTC, datetime, timedelta

import pytest

from cases.case import rules as workflow
from contracts.cases import AuthorType, Status
from contracts.errors import InvalidTransition

NOW = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
AGENT = AuthorType.AGENT


@pytest.mark.parametrize("target", [Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED])
def test_leaving_new_needs_an_assignee(target: Status) -> None:
    with pytest.raises(InvalidTransition) as info:
        workflow.check_transition(current=Status.NEW, target=target, has_assignee=False, actor_type=AGENT)
    assert info.value.details["missing"] == "assignee_id"
    workflow.check_transition(current=Status.NEW, target=target, has_assignee=True, actor_type=AGENT)


@pytest.mark.parametrize("current", [Status.OPEN, Status.WAITING, Status.RESOLVED, Status.CLOSED])
def test_nothing_goes_back_to_new(current: Status) -> None:
    with pytest.raises(InvalidTransition):
        workflow.check_transition(current=current, target=Status.NEW, has_assignee=True, actor_type=AGENT)


def test_closed_reopens_only_to_open_and_only_by_an_agent() -> None:
    workflow.check_transition(current=Status.CLOSED, target=Status.OPEN, has_assignee=True, actor_type=AGENT)
    with pytest.raises(InvalidTransition):
        workflow.check_transition(current=Status.CLOSED, target=Status.WAITING, has_assignee=True, actor_type=AGENT)
    with pytest.raises(InvalidTransition):
        workflow.check_transition(
            current=Status.CLOSED, target=Status.OPEN, has_assignee=True, actor_type=AuthorType.CONTACT
        )


def test_staying_put_is_always_allowed() -> None:
    workflow.check_transition(current=Status.NEW, target=Status.NEW, has_assignee=False, actor_type=AGENT)


@pytest.mark.parametrize(
    ("current", "has_assignee", "expected"),
    [
        (Status.NEW, True, Status.WAITING),
        (Status.NEW, False, Status.NEW),
        (Status.OPEN, True, Status.WAITING),
        (Status.WAITING, True, Status.WAITING),
        (Status.RESOLVED, True, Status.RESOLVED),
        (Status.CLOSED, True, Status.CLOSED),
    ],
)
def test_agent_reply(current: Status, has_assignee: bool, expected: Status) -> None:
    assert workflow.status_after_agent_reply(current, has_assignee=has_assignee) == expected


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (Status.NEW, Status.NEW),
        (Status.OPEN, Status.OPEN),
        (Status.WAITING, Status.OPEN),
        (Status.RESOLVED, Status.OPEN),
        (Status.CLOSED, Status.CLOSED),
    ],
)
def test_contact_reply(current: Status, expected: Status) -> None:
    assert workflow.status_after_contact_reply(current) == expected


def test_timestamps_follow_the_status() -> None:
    none = workflow.Timestamps(None, None)
    resolved = workflow.timestamps_after(target=Status.RESOLVED, previous=none, now=NOW)
    assert resolved == workflow.Timestamps(NOW, None)
    later = NOW + timedelta(hours=1)
    closed = workflow.timestamps_after(target=Status.CLOSED, previous=resolved, now=later)
    assert closed == workflow.Timestamps(NOW, later)
    assert workflow.timestamps_after(target=Status.CLOSED, previous=none, now=later) == workflow.Timestamps(
        later, later
    )
    assert workflow.timestamps_after(target=Status.OPEN, previous=closed, now=later) == none


def test_first_response_is_the_first_public_agent_message() -> None:
    assert workflow.is_first_response(author_type=AGENT, public=True, first_response_at=None)
    assert not workflow.is_first_response(author_type=AGENT, public=False, first_response_at=None)
    assert not workflow.is_first_response(author_type=AuthorType.CONTACT, public=True, first_response_at=None)
    assert not workflow.is_first_response(author_type=AGENT, public=True, first_response_at=NOW)
