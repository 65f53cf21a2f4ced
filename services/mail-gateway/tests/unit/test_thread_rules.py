"""E6 rules 2 and 3 (signed plus-address, signed subject token) and their order, without I/O."""

from contracts.tokens import (
    case_id_from_address,
    case_number_from_subject,
    make_message_id,
    make_reply_address,
    make_subject_token,
)
from mail_gateway.domain.thread_decision import decide_thread

SECRET = "unit-test-secret"
OTHER = "another-secret"


def test_a_reply_address_round_trips_and_keeps_the_mailbox():
    address = make_reply_address(address="support@example.com", case_id=17, secret=SECRET)
    assert address.startswith("support+c17-") and address.endswith("@example.com")
    assert case_id_from_address(address, secret=SECRET) == 17
    assert case_id_from_address(address.upper(), secret=SECRET) == 17  # mail systems may upper-case


def test_a_forged_or_foreign_plus_address_is_ignored():
    address = make_reply_address(address="support@example.com", case_id=17, secret=SECRET)
    assert case_id_from_address(address.replace("+c17-", "+c18-"), secret=SECRET) is None
    assert case_id_from_address(address, secret=OTHER) is None
    assert case_id_from_address("support+sales@example.com", secret=SECRET) is None
    assert case_id_from_address("support@example.com", secret=SECRET) is None


def test_a_subject_token_round_trips_inside_a_rewritten_subject():
    token = make_subject_token(number=1042, secret=SECRET)
    assert case_number_from_subject(f"SV: Re: {token} Printer broken", secret=SECRET) == 1042
    assert case_number_from_subject(token.replace("1042", "1043"), secret=SECRET) is None
    assert case_number_from_subject(f"Re: {token}", secret=OTHER) is None
    assert case_number_from_subject("Re: [#1042] Printer broken", secret=SECRET) is None


def test_a_signature_from_one_kind_of_token_does_not_verify_as_another():
    token = make_subject_token(number=5, secret=SECRET)
    sig = token.split("-")[1].rstrip("]")
    assert case_id_from_address(f"support+c5-{sig}0000@example.com", secret=SECRET) is None


def test_order_signed_message_id_then_plus_address_then_subject_then_known():
    signed = make_message_id(case_id=1, message_id=1, secret=SECRET, domain="hd.example")
    plus = make_reply_address(address="support@example.com", case_id=2, secret=SECRET)
    subject = f"Re: {make_subject_token(number=300, secret=SECRET)} help"
    common = {"secret": SECRET, "known_cases": {"known@x": 4}, "case_of_number": {300: 3}}

    def decide(candidates: list[str], recipients: list[str], subj: str) -> tuple[int | None, str]:
        d = decide_thread(candidates=candidates, recipients=recipients, subject=subj, **common)  # type: ignore[arg-type]
        return d.case_id, d.reason

    assert decide([signed, "known@x"], [plus], subject) == (1, "signed_message_id")
    assert decide(["known@x"], ["support@example.com", plus], subject) == (2, "signed_plus_address")
    assert decide(["known@x"], ["support@example.com"], subject) == (3, "signed_subject_token")
    assert decide(["known@x"], [], "Re: help") == (4, "known_message_id")
    assert decide([], [], "Re: help") == (None, "new_case")


def test_a_subject_token_of_a_case_number_we_never_saw_does_not_thread():
    subject = make_subject_token(number=999, secret=SECRET)
    decision = decide_thread(candidates=[], secret=SECRET, known_cases={}, subject=subject, case_of_number={})
    assert (decision.case_id, decision.reason) == (None, "new_case")


def test_subject_similarity_alone_never_threads():
    decision = decide_thread(candidates=[], secret=SECRET, known_cases={}, subject="Re: Printer on floor 3 is broken")
    assert decision.reason == "new_case"
