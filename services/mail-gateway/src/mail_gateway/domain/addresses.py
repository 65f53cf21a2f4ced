"""Which mailbox an SMTP recipient address belongs to (pure)."""

from __future__ import annotations


def mailbox_key(address: str) -> str:
    """The mailbox address a recipient maps to: lower-case, `+tag` dropped (`support+x@a` -> `support@a`)."""
    address = address.strip().strip("<>").strip().lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return address
    local = local.split("+", 1)[0]
    return f"{local}@{domain}"
