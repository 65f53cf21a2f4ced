"""Where an inbound mail belongs (E6): our signed Message-ID, else a customer Message-ID we know (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chassis.tokens import case_id_from_message_id
from contracts.mail_gateway import ThreadDecision

SIGNED_MESSAGE_ID = "signed_message_id"
KNOWN_MESSAGE_ID = "known_message_id"
NEW_CASE = "new_case"


def thread_candidates(in_reply_to: Sequence[str], references: Sequence[str]) -> list[str]:
    """Message-IDs a reply may point at, most specific first: In-Reply-To, then References newest first."""
    return list(dict.fromkeys([*in_reply_to, *reversed(references)]))


def decide_thread(*, candidates: Sequence[str], secret: str, known_cases: Mapping[str, int]) -> ThreadDecision:
    """Signed ids win over known customer ids (they cannot be forged); otherwise a new case."""
    for mid in candidates:
        case_id = case_id_from_message_id(mid, secret=secret)
        if case_id is not None:
            return ThreadDecision(case_id=case_id, reason=SIGNED_MESSAGE_ID)
    for mid in candidates:
        if mid in known_cases:
            return ThreadDecision(case_id=known_cases[mid], reason=KNOWN_MESSAGE_ID)
    return ThreadDecision(case_id=None, reason=NEW_CASE)
