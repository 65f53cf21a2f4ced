"""Which address a case's customer mail leaves from (decision 0101)."""

from __future__ import annotations

import pytest

from notifications.mail.rules import sender_address


def test_the_mailbox_the_case_came_in_on_wins_normalised() -> None:
    assert sender_address(case_mailbox=" Billing@Example.COM ", configured="desk@example.com") == "billing@example.com"


@pytest.mark.parametrize(
    "mailbox", [None, "", "   ", "not-an-address", "@example.com", "a@", "a b@example.com", "a@b@c"]
)
def test_no_usable_mailbox_falls_back_to_the_configured_sender(mailbox: str | None) -> None:
    assert sender_address(case_mailbox=mailbox, configured="desk@example.com") == "desk@example.com"
