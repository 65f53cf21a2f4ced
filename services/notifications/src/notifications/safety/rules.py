"""Loop safety, pure (E4): which recipients never get automatic mail (robots, no-reply boxes, ourselves),
which mail counts as automatic, and when a rate limit says stop."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_ROBOT_LOCAL_PARTS = re.compile(
    r"^(no[-_.]?reply|do[-_.]?not[-_.]?reply|mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|bounces?|"
    r"auto[-_.]?reply|autoresponder)([-+_.].*)?$",
    re.IGNORECASE,
)


def normalise_address(address: str) -> str:
    """Lower-case, trimmed address for comparisons."""
    return address.strip().strip("<>").lower()


def suppression_reason(address: str, *, own_addresses: Iterable[str]) -> str | None:
    """Why `address` must not get automatic mail, or None when it may."""
    email = normalise_address(address)
    if "@" not in email:
        return "invalid address"
    local, _, _domain = email.rpartition("@")
    if email in {normalise_address(a) for a in own_addresses}:
        return "own mailbox address"
    if _ROBOT_LOCAL_PARTS.match(local):
        return "automatic or no-reply address"
    return None


# mail a machine sends on its own; an agent's reply is human mail and is never rate limited
# status notices and completion requests (E1) are written by us, not the agent: automatic too
AUTOMATIC_KINDS = frozenset(
    {
        "confirmation",
        "magic_link",
        "agent_invite",
        "password_reset",
        "portal_password",
        "resolved_notice",
        "closed_notice",
        "completion_request",
    }
)

HARD_BOUNCE_REASON = "address suppressed after a hard bounce"


@dataclass(frozen=True)
class RateLimits:
    """At most `per_recipient` automatic mails to one address, and `per_case` about one case, per window."""

    per_recipient: int = 10
    per_case: int = 20
    window_seconds: int = 600


def is_automatic(kind: str) -> bool:
    """True for kinds a machine sends without a human deciding to (RFC 3834 `Auto-Submitted`)."""
    return kind in AUTOMATIC_KINDS


def rate_limit_reason(*, limits: RateLimits, recipient_count: int, case_count: int | None) -> str | None:
    """Why this mail exceeds a limit (counts include it), or None when it may go."""
    minutes = max(1, limits.window_seconds // 60)
    if recipient_count > limits.per_recipient:
        return f"rate limited: more than {limits.per_recipient} automatic mails to this address in {minutes} min"
    if case_count is not None and case_count > limits.per_case:
        return f"rate limited: more than {limits.per_case} automatic mails about this case in {minutes} min"
    return None
