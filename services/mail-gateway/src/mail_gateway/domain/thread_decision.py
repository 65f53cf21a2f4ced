"""Where an inbound mail belongs (E6), in the order of the rules, with the reason (pure).

1. our signed Message-ID in In-Reply-To / References (newest first), 2. a signed plus-address among
the recipients, 3. a signed subject token `[#<number>-<sig>]`, 4. a customer Message-ID we know.
Whether the sender may join that case (requester, follower, participant) is decided by cases.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from contracts.mail_gateway import ThreadDecision
from contracts.tokens import case_id_from_address, case_id_from_message_id, case_number_from_subject

SIGNED_MESSAGE_ID = "signed_message_id"
SIGNED_PLUS_ADDRESS = "signed_plus_address"
SIGNED_SUBJECT_TOKEN = "signed_subject_token"  # noqa: S105 (a reason code, not a secret)
KNOWN_MESSAGE_ID = "known_message_id"
NEW_CASE = "new_case"


def thread_candidates(in_reply_to: Sequence[str], references: Sequence[str]) -> list[str]:
    """Message-IDs a reply may point at, most specific first: In-Reply-To, then References newest first."""
    return list(dict.fromkeys([*in_reply_to, *reversed(references)]))


def decide_thread(
    *,
    candidates: Sequence[str],
    secret: str,
    known_cases: Mapping[str, int],
    recipients: Sequence[str] = (),
    subject: str = "",
    case_of_number: Mapping[int, int] | None = None,
) -> ThreadDecision:
    """The first rule that matches wins; signed tokens come first because they cannot be forged."""
    for mid in candidates:
        case_id = case_id_from_message_id(mid, secret=secret)
        if case_id is not None:
            return ThreadDecision(case_id=case_id, reason=SIGNED_MESSAGE_ID)
    for address in recipients:
        case_id = case_id_from_address(address, secret=secret)
        if case_id is not None:
            return ThreadDecision(case_id=case_id, reason=SIGNED_PLUS_ADDRESS)
    number = case_number_from_subject(subject, secret=secret)
    if number is not None and case_of_number and number in case_of_number:
        return ThreadDecision(case_id=case_of_number[number], reason=SIGNED_SUBJECT_TOKEN)
    for mid in candidates:
        if mid in known_cases:
            return ThreadDecision(case_id=known_cases[mid], reason=KNOWN_MESSAGE_ID)
    return ThreadDecision(case_id=None, reason=NEW_CASE)
