"""Case model rules without I/O: statuses, dormancy, custom fields, tags, mentions, merging."""

from datetime import UTC, datetime, timedelta

import pytest

from cases.case import rules as workflow
from cases.case import rules_mentions as mentions
from cases.case.rules_changes import check_stale
from cases.config import rules as fields
from cases.config import rules_statuses as statuses
from contracts.case_config import CustomFieldType
from contracts.cases import AuthorType, Dormancy, DormantMode, Status
from contracts.errors import (
    InvalidCustomField,
    InvalidTransition,
    RequiredFieldMissing,
    UnknownStatus,
    ValidationFailed,
    VersionConflict,
)

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
STATUSES = [
    statuses.StatusDef(1, "New", Status.NEW, builtin=True),
    statuses.StatusDef(2, "Open", Status.OPEN, builtin=True),
    statuses.StatusDef(4, "Dormant", Status.DORMANT, builtin=True),
    statuses.StatusDef(7, "In progress", Status.OPEN),
]


# -- statuses ------------------------------------------------------------------------------------


def test_a_category_means_its_builtin_status_and_an_id_its_admin_status() -> None:
    assert statuses.pick(STATUSES, category=Status.OPEN).id == 2
    assert statuses.pick(STATUSES, status_id=7).name == "In progress"
    assert statuses.pick(STATUSES, status_id=7, category=Status.OPEN).id == 7


def test_unknown_or_mismatched_status_is_refused() -> None:
    with pytest.raises(UnknownStatus) as info:
        statuses.pick(STATUSES, status_id=99)
    assert info.value.code == "unknown_status"
    with pytest.raises(UnknownStatus):
        statuses.pick(STATUSES, status_id=7, category=Status.DORMANT)
    with pytest.raises(UnknownStatus):
        statuses.pick(STATUSES, category=Status.CLOSED)  # this list has no closed status


def test_dormant_is_reachable_and_wakes_to_open() -> None:
    workflow.check_transition(
        current=Status.OPEN, target=Status.DORMANT, has_assignee=True, actor_type=AuthorType.AGENT
    )
    workflow.check_transition(
        current=Status.DORMANT, target=Status.OPEN, has_assignee=True, actor_type=AuthorType.AGENT
    )
    with pytest.raises(InvalidTransition):
        workflow.check_transition(
            current=Status.NEW, target=Status.DORMANT, has_assignee=False, actor_type=AuthorType.AGENT
        )


def test_contact_reply_wakes_dormant_and_the_reopen_setting_is_honoured() -> None:
    assert workflow.status_after_contact_reply(Status.DORMANT, reopens=False) == Status.OPEN
    assert workflow.status_after_contact_reply(Status.WAITING, reopens=False) == Status.WAITING
    assert workflow.status_after_contact_reply(Status.RESOLVED, reopens=True) == Status.OPEN


def test_dormancy_modes() -> None:
    assert statuses.dormant_until(Dormancy(mode=DormantMode.UNTIL_FURTHER_NOTICE), now=NOW) is None
    assert statuses.dormant_until(Dormancy(mode=DormantMode.FOR_PERIOD, days=3), now=NOW) == NOW + timedelta(days=3)
    later = NOW + timedelta(days=10)
    assert statuses.dormant_until(Dormancy(mode=DormantMode.UNTIL_DATE, until=later), now=NOW) == later
    with pytest.raises(ValidationFailed):
        statuses.dormant_until(Dormancy(mode=DormantMode.FOR_PERIOD), now=NOW)
    with pytest.raises(ValidationFailed):
        statuses.dormant_until(Dormancy(mode=DormantMode.UNTIL_DATE, until=NOW - timedelta(days=1)), now=NOW)


def test_only_due_dormant_cases_wake() -> None:
    assert statuses.should_wake(status=Status.DORMANT, until=NOW, now=NOW)
    assert not statuses.should_wake(status=Status.DORMANT, until=None, now=NOW)
    assert not statuses.should_wake(status=Status.DORMANT, until=NOW + timedelta(seconds=1), now=NOW)
    assert not statuses.should_wake(status=Status.OPEN, until=NOW, now=NOW)
    assert "ended" in statuses.wake_reason(NOW)


# -- custom fields, configuration, tags ----------------------------------------------------------

DEFS = [
    fields.FieldDef("seats", CustomFieldType.NUMBER),
    fields.FieldDef("go_live", CustomFieldType.DATE),
    fields.FieldDef("tier", CustomFieldType.SELECT, options=["gold", "silver"], required=True),
    fields.FieldDef("old", CustomFieldType.TEXT, used=False),
]


def test_custom_values_are_checked_and_normalised() -> None:
    assert fields.custom_values(DEFS, {"seats": "12", "go_live": "2026-05-01", "tier": "gold"}) == {
        "seats": "12",
        "go_live": "2026-05-01",
        "tier": "gold",
    }
    assert fields.custom_values(DEFS, {"seats": 2.5, "tier": None}) == {"seats": "2.5", "tier": None}


@pytest.mark.parametrize(
    "values",
    [{"seats": "many"}, {"seats": True}, {"go_live": "1 May"}, {"tier": "bronze"}, {"nope": "x"}, {"old": "x"}],
)
def test_invalid_custom_values_are_refused(values: dict[str, object]) -> None:
    with pytest.raises(InvalidCustomField) as info:
        fields.custom_values(DEFS, values)
    assert info.value.code == "invalid_custom_field"
    assert info.value.details["field"] == next(iter(values))


def test_required_builtin_and_custom_fields() -> None:
    rules = {"category": fields.FieldRule(required=True), "external_ref": fields.FieldRule(used=False, required=True)}
    with pytest.raises(RequiredFieldMissing) as info:
        fields.check_required(rules=rules, definitions=DEFS, values={"category": ""}, custom={})
    assert info.value.details == {"missing": ["category", "custom_fields.tier"]}
    fields.check_required(rules=rules, definitions=DEFS, values={"category": "Billing"}, custom={"tier": "gold"})


def test_a_switched_off_field_cannot_be_set() -> None:
    rules = {"external_ref": fields.FieldRule(used=False)}
    with pytest.raises(ValidationFailed):
        fields.check_used(rules=rules, values={"external_ref": "PO-1"})
    fields.check_used(rules=rules, values={"external_ref": None, "category": "x"})


def test_tags_are_trimmed_lowered_unique() -> None:
    assert fields.tags([" VIP", "vip", "printer "]) == ["printer", "vip"]
    with pytest.raises(ValidationFailed):
        fields.tags(["  "])


# -- mentions ----------------------------------------------------------------------------------

AGENTS = [
    mentions.AgentName(1, "nina.berg@example.com", "Nina Berg"),
    mentions.AgentName(2, "ola@example.com", "Ola"),
]


def test_mentions_by_email_name_or_local_part() -> None:
    text = "@ola can you check? cc @nina.berg@example.com and again @NinaBerg."
    assert mentions.mentioned(text, AGENTS) == [2, 1]
    assert mentions.mentioned("ping @nina.berg", AGENTS) == [1]


def test_addresses_and_unknown_names_are_not_mentions() -> None:
    assert mentions.mentioned("mail ola@example.com or @nobody", AGENTS) == []


# -- concurrency (B11) ---------------------------------------------------------------------------


def _stale(*, strict: bool, changed: set[str], requested: set[str]) -> None:
    check_stale(
        strict=strict,
        expected=3,
        actual=4,
        changed_since=lambda: changed,
        requested=requested,
        current=lambda: {"version": 4},
    )


def test_strict_refuses_every_stale_write() -> None:
    with pytest.raises(VersionConflict):
        _stale(strict=True, changed={"priority"}, requested={"title"})


def test_field_mode_merges_other_fields_and_refuses_the_same_one() -> None:
    _stale(strict=False, changed={"priority"}, requested={"title"})
    with pytest.raises(VersionConflict) as info:
        _stale(strict=False, changed={"status_name"}, requested={"status_id"})
    assert info.value.details == {"current": {"version": 4}, "fields": ["status"]}


def test_a_version_from_the_future_is_always_refused() -> None:
    with pytest.raises(VersionConflict):
        check_stale(strict=False, expected=9, actual=4, changed_since=set, requested={"title"}, current=lambda: {})
