"""Phone numbers and titles of SMS-to-case (A5), without I/O."""

from __future__ import annotations

import pytest

from cases.intake.rules_phones import phone_key, sms_title


@pytest.mark.parametrize(
    ("raw", "key"),
    [("+47 912 34 567", "+4791234567"), ("0047 912-34-567", "+4791234567"), ("(0)91234567", "091234567")],
)
def test_numbers_typed_differently_compare_equal(raw: str, key: str) -> None:
    assert phone_key(raw) == key


@pytest.mark.parametrize("raw", [None, "", "n/a", "+47", "12345678901234567"])
def test_what_is_not_a_number_has_no_key(raw: str | None) -> None:
    assert phone_key(raw) is None


def test_the_title_is_the_first_non_empty_line() -> None:
    assert sms_title("\n  Router dead \nplease call", "+4791234567") == "Router dead"


def test_a_long_first_line_is_cut_and_an_empty_sms_names_its_sender() -> None:
    assert sms_title("x" * 200, "+4791234567") == "x" * 79 + "…"
    assert sms_title("   ", "+4791234567") == "SMS from +4791234567"
