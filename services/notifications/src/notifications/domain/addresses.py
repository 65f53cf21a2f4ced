"""Which recipients must never get automatic mail (E4: no loops with robots, no-reply boxes or ourselves)."""

from __future__ import annotations

import re
from collections.abc import Iterable

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
