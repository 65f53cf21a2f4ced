"""Inputs keep their bounds: ids fit a bigint, ids and flags are strict, names, tags and lists have ceilings."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from contracts import case_config, directory, mail_gateway, search, sla
from contracts import case_work as cw
from contracts import cases as c
from contracts.bounds import MAX_ID, MAX_NAME, MAX_TAG, MAX_TAGS, FlagText, Id, LaxId


def _refused(model: type[BaseModel], **data: Any) -> list[Any]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [error["loc"] for error in caught.value.errors()]


@pytest.mark.parametrize("value", [2**31, 2**63, 2**64, 10**30, 0, -1, False, True, "5", 5.0, None])
def test_an_id_is_a_positive_bigint_and_nothing_else(value: Any) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Id).validate_python(value)


def test_the_largest_bigint_is_an_id() -> None:
    assert TypeAdapter(Id).validate_python(MAX_ID) == MAX_ID
    assert TypeAdapter(Id).validate_json(str(MAX_ID)) == MAX_ID


@pytest.mark.parametrize("text", [str(2**31), str(2**63), "0", "-3", "false", "1.5", "x"])
def test_an_id_in_a_url_is_digits_in_range(text: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(LaxId).validate_python(text)
    assert TypeAdapter(LaxId).validate_python("42") == 42


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False), ("TRUE", True), ("False", False)])
def test_a_flag_in_a_query_is_true_or_false(text: str, value: bool) -> None:
    assert TypeAdapter(FlagText).validate_python(text) is value


@pytest.mark.parametrize("text", ["0", "1", "yes", "off", "", "t"])
def test_a_flag_in_a_query_is_nothing_else(text: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(FlagText).validate_python(text)


@pytest.mark.parametrize(
    ("model", "data", "field"),
    [
        (c.CaseCreate, {"title": "t", "group_id": 2**63}, "group_id"),
        (c.CaseCreate, {"title": "t", "assignee_id": False}, "assignee_id"),
        (c.CaseCreate, {"title": "t", "follower_ids": [1, 2**63]}, "follower_ids"),
        (c.CaseUpdate, {"parent_id": 2**63}, "parent_id"),
        (c.MessageCreate, {"body": "b", "send_by_sms": 0}, "send_by_sms"),
        (c.MessageCreate, {"body": "b", "attachment_ids": [2**64]}, "attachment_ids"),
        (cw.TaskCreate, {"title": "t", "assignee_id": 2**63}, "assignee_id"),
        (cw.TaskUpdate, {"done": 1}, "done"),
        (cw.TimeEntryCreate, {"minutes": 5, "billable": "yes"}, "billable"),
        (cw.TimeEntryCreate, {"minutes": 5, "agent_id": 2**63}, "agent_id"),
        (cw.LinkCreate, {"other_case_id": 2**63}, "other_case_id"),
        (cw.MergeRequest, {"duplicate_id": True}, "duplicate_id"),
        (
            cw.RecurrenceCreate,
            {"template_id": 2**63, "every": 1, "unit": "day", "start_at": "2030-01-01T00:00:00Z"},
            "template_id",
        ),
        (cw.RecurrenceUpdate, {"active": 0}, "active"),
        (cw.SignatureSet, {"agent_id": 2**63}, "agent_id"),
        (directory.GroupWrite, {"name": "g", "member_ids": [2**63]}, "member_ids"),
        (directory.ContactWrite, {"organisation_id": 2**63}, "organisation_id"),
        (directory.AgentWrite, {"group_ids": [0]}, "group_ids"),
        (search.SavedSearchWrite, {"name": "s", "shared": 1}, "shared"),
        (sla.SlaPolicyWrite, {"name": "p", "resolution_minutes": 60, "calendar_id": 2**63}, "calendar_id"),
        (case_config.CaseSettings, {"hold_unknown_senders": "true"}, "hold_unknown_senders"),
        (mail_gateway.MailboxWrite, {"address": "a@example.com", "imap_port": 70000}, "imap_port"),
    ],
)
def test_out_of_range_or_loosely_typed_inputs_are_refused(
    model: type[BaseModel], data: dict[str, Any], field: str
) -> None:
    assert field in [loc[0] for loc in _refused(model, **data)]


def test_names_tags_and_custom_fields_are_bounded() -> None:
    assert "requester_name" in [
        loc[0] for loc in _refused(c.CaseCreate, title="t", requester_name="x" * (MAX_NAME + 1))
    ]
    assert "tags" in [loc[0] for loc in _refused(c.CaseCreate, title="t", tags=[f"t{i}" for i in range(MAX_TAGS + 1)])]
    assert "tags" in [loc[0] for loc in _refused(c.CaseUpdate, tags=["x" * (MAX_TAG + 1)])]
    too_many = {f"f{i}": "v" for i in range(101)}
    assert "custom_fields" in [loc[0] for loc in _refused(c.CaseCreate, title="t", custom_fields=too_many)]
    huge = {"note": "x" * 10_001}
    assert "custom_fields" in [loc[0] for loc in _refused(c.CaseUpdate, custom_fields=huge)]
    assert "options" in [
        loc[0] for loc in _refused(case_config.CustomFieldWrite, key="k", label="K", type="select", options=["o"] * 201)
    ]


def test_valid_requests_stay_valid() -> None:
    """JSON numbers and strings the API documents still parse: datetimes from ISO text, enums from their values."""
    case = c.CaseCreate.model_validate(
        {
            "title": "Printer",
            "requester_name": "Ada Lovelace",
            "group_id": 3,
            "tags": ["hardware", "floor-2"],
            "follower_ids": [1, 2],
            "custom_fields": {"serial": "AB-1", "seats": 12, "ratio": 1.5, "cleared": None, "urgent": True},
            "due_at": "2030-01-01T09:00:00Z",
            "priority": "high",
        }
    )
    assert case.custom_fields == {"serial": "AB-1", "seats": 12, "ratio": 1.5, "cleared": None, "urgent": True}
    assert case.due_at is not None and case.priority is c.Priority.HIGH
    task = cw.TaskUpdate.model_validate({"done": True, "due_at": "2030-01-01T09:00:00+02:00"})
    assert task.done is True
    assert c.CaseUpdate.model_validate({"parent_id": MAX_ID, "tags": ["x" * MAX_TAG]}).parent_id == MAX_ID


def test_a_recurrence_starts_at_a_time_with_its_offset() -> None:
    from contracts.case_work import RecurrenceCreate

    base = {"template_id": 1, "every": 1, "unit": "week"}
    assert RecurrenceCreate.model_validate({**base, "start_at": "2026-12-08T09:00:00+01:00"}).start_at.utcoffset()
    with pytest.raises(ValidationError):
        RecurrenceCreate.model_validate({**base, "start_at": "2026-12-08T09:00:00"})
