"""Loop safety rules (E4): which mail is automatic and when a rate limit stops it."""

from __future__ import annotations

from notifications.safety.rules import RateLimits, is_automatic, rate_limit_reason

LIMITS = RateLimits(per_recipient=3, per_case=5, window_seconds=600)


def test_confirmations_and_magic_links_are_automatic_replies_are_not() -> None:
    assert is_automatic("confirmation")
    assert is_automatic("magic_link")
    assert not is_automatic("reply")


def test_mail_within_both_limits_may_go() -> None:
    assert rate_limit_reason(limits=LIMITS, recipient_count=3, case_count=5) is None
    assert rate_limit_reason(limits=LIMITS, recipient_count=1, case_count=None) is None


def test_one_more_than_the_recipient_limit_is_stopped_with_the_reason() -> None:
    reason = rate_limit_reason(limits=LIMITS, recipient_count=4, case_count=1)
    assert reason == "rate limited: more than 3 automatic mails to this address in 10 min"


def test_one_more_than_the_case_limit_is_stopped_with_the_reason() -> None:
    reason = rate_limit_reason(limits=LIMITS, recipient_count=1, case_count=6)
    assert reason == "rate limited: more than 5 automatic mails about this case in 10 min"


def test_a_count_of_zero_means_redis_was_unavailable_and_fails_open() -> None:
    assert rate_limit_reason(limits=LIMITS, recipient_count=0, case_count=0) is None
