"""The threading decision (E6), without I/O."""

from contracts.tokens import make_message_id
from mail_gateway.domain.thread_decision import decide_thread, thread_candidates

SECRET = "unit-test-secret"


def ours(case_id: int) -> str:
    return make_message_id(case_id=case_id, message_id=1, secret=SECRET, domain="hd.example")


def test_candidates_are_in_reply_to_then_references_newest_first_without_repeats():
    assert thread_candidates(["c@x"], ["a@x", "b@x", "c@x"]) == ["c@x", "b@x", "a@x"]


def test_a_signed_id_anywhere_in_references_wins_over_a_known_customer_id():
    candidates = thread_candidates(["known@x"], [ours(5), "known@x"])
    decision = decide_thread(candidates=candidates, secret=SECRET, known_cases={"known@x": 9})
    assert (decision.case_id, decision.reason) == (5, "signed_message_id")


def test_the_newest_signed_id_wins():
    decision = decide_thread(candidates=thread_candidates([], [ours(1), ours(2)]), secret=SECRET, known_cases={})
    assert decision.case_id == 2


def test_a_known_customer_id_threads_when_no_signed_id_is_present():
    decision = decide_thread(candidates=["a@x", "b@x"], secret=SECRET, known_cases={"b@x": 3})
    assert (decision.case_id, decision.reason) == (3, "known_message_id")


def test_a_wrongly_signed_id_is_ignored():
    forged = make_message_id(case_id=5, message_id=1, secret="other", domain="hd.example")
    decision = decide_thread(candidates=[forged], secret=SECRET, known_cases={})
    assert (decision.case_id, decision.reason) == (None, "new_case")
