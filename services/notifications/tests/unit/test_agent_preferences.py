"""Per-agent preferences per event and channel (E2), without I/O."""

from __future__ import annotations

import pytest

from contracts.errors import ValidationFailed
from notifications.alerts.rules import effective, validate, wanted


def test_in_app_is_on_and_email_off_until_the_agent_chooses() -> None:
    assert wanted("assigned_to_me", "in_app", {})
    assert not wanted("assigned_to_me", "email", {})
    # push reaches only browsers the agent subscribed: subscribing is the opt-in
    assert wanted("sla_breached", "push", {})


def test_an_explicit_choice_wins_over_the_default() -> None:
    choices = {("assigned_to_me", "email"): True, ("new_case_in_group", "in_app"): False}
    assert wanted("assigned_to_me", "email", choices)
    assert not wanted("new_case_in_group", "in_app", choices)
    assert effective(choices)["customer_replied"] == {"in_app": True, "email": False, "push": True, "sms": False}
    assert set(effective({})) >= {"mentioned", "task_assigned", "sla_warning", "sla_breached"}


@pytest.mark.parametrize(("kind", "channel"), [("assigned_to_me", "pager"), ("birthday", "email")])
def test_unknown_kinds_and_channels_are_refused(kind: str, channel: str) -> None:
    with pytest.raises(ValidationFailed):
        validate(kind, channel)
