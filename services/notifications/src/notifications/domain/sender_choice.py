"""Which address customer mail of a case is sent from (issue 5, decision 0101). Pure.

Precedence: the mailbox the case came in on (`CaseRead.mailbox`) > the customer organisation's
`sender_address` > the workspace's > `NOTIFICATIONS_FROM_ADDRESS`. The last three are already merged
into the effective E3 settings (decision 0093); this adds the first.
"""

from __future__ import annotations


def sender_address(*, case_mailbox: str | None, configured: str) -> str:
    """The From (and plus-address Reply-To base) of a case's customer mail."""
    mailbox = (case_mailbox or "").strip().lower()
    local, at, domain = mailbox.partition("@")
    if at and local and domain and "@" not in domain and not any(c.isspace() for c in mailbox):
        return mailbox
    return configured
