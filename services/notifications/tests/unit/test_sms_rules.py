"""Which replies go by SMS, what the text says, and how Twilio's refusals are classified (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.cases import CaseRead, MessageRead
from notifications.deliveries.rules import classify, twilio_failure
from notifications.sms.rules import MAX_SMS_LENGTH, normalise_phone, sms_reply_recipient, sms_text

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _case(*, source: str = "email", email: str | None = "a@x.example", phone: str | None = "+4791234567") -> CaseRead:
    requester = {"id": 5, "email": email, "name": "A", "phone": phone}
    return CaseRead.model_validate(
        {
            "id": 1,
            "number": 1001,
            "title": "Hi",
            "status": "new",
            "priority": "low",
            "source": source,
            "requester": requester,
            "version": 1,
            "created_at": T0,
            "updated_at": T0,
        }
    )


def _msg(
    *, author_type: str = "agent", visibility: str = "public", channel: str = "web", body: str = "Hi"
) -> MessageRead:
    return MessageRead.model_validate(
        {
            "id": 9,
            "case_id": 1,
            "author_type": author_type,
            "visibility": visibility,
            "channel": channel,
            "body_text": body,
            "created_at": T0,
        }
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("+47 912 34 567", "+4791234567"), ("0047 (912) 34-567", "+4791234567"), ("91234567", "91234567")],
)
def test_phone_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "call me", "+47 12", "+47 912 34 567 ext 2"])
def test_what_is_not_a_number_is_refused(raw: str) -> None:
    assert normalise_phone(raw) is None


def test_an_sms_case_is_answered_by_sms() -> None:
    assert sms_reply_recipient(_case(source="sms"), _msg()) == "+4791234567"


def test_the_agent_choosing_sms_sends_an_sms_even_on_an_email_case() -> None:
    assert sms_reply_recipient(_case(), _msg(channel="sms")) == "+4791234567"


def test_a_contact_reachable_only_by_phone_gets_sms() -> None:
    assert sms_reply_recipient(_case(source="phone", email=None), _msg()) == "+4791234567"


def test_an_email_case_with_an_email_address_is_mailed_not_texted() -> None:
    assert sms_reply_recipient(_case(), _msg()) is None


def test_internal_notes_and_customer_messages_never_go_by_sms() -> None:
    assert sms_reply_recipient(_case(source="sms"), _msg(visibility="internal")) is None
    assert sms_reply_recipient(_case(source="sms"), _msg(author_type="contact")) is None


def test_without_a_usable_phone_there_is_no_sms() -> None:
    assert sms_reply_recipient(_case(source="sms", phone=None), _msg()) is None
    assert sms_reply_recipient(_case(source="sms", phone="n/a"), _msg()) is None


def test_the_text_carries_the_case_number_and_fits_twilios_limit() -> None:
    assert sms_text(case=_case(), message=_msg(body="  On its way.\n")) == "On its way.\n(Case #1001)"
    long = sms_text(case=_case(), message=_msg(body="x" * 5000))
    assert len(long) == MAX_SMS_LENGTH and long.endswith("…\n(Case #1001)")


@pytest.mark.parametrize(("status", "temporary"), [(400, False), (404, False), (429, True), (500, True), (503, True)])
def test_twilio_errors_are_permanent_except_throttling_and_server_errors(status: int, temporary: bool) -> None:
    failure = twilio_failure(status, 21211, "nope")
    assert failure.temporary is temporary
    assert failure.reason == f"twilio: {status} 21211: nope"


def test_a_failure_the_channel_classified_itself_is_taken_as_it_is() -> None:
    exc = RuntimeError("twilio said no")
    exc.send_failure = twilio_failure(400, 21211, "nope")  # type: ignore[attr-defined]
    assert classify(exc) == twilio_failure(400, 21211, "nope")
