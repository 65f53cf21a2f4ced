"""Threading headers of outgoing mail: In-Reply-To the customer's latest mail, References the case's chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# RFC 5322 lets References grow without bound; MUAs and relays choke on very long headers
MAX_REFERENCES = 20


@dataclass(frozen=True)
class ThreadEntry:
    """One Message-ID seen on a case, who wrote it and when."""

    email_message_id: str
    author_type: str
    created_at: datetime


@dataclass(frozen=True)
class ThreadHeaders:
    in_reply_to: str | None
    references: list[str]


def normalise_message_id(value: str | None) -> str | None:
    """A Message-ID without angle brackets or whitespace (the form stored everywhere), or None."""
    if not value:
        return None
    cleaned = value.strip().strip("<>").strip()
    return cleaned or None


def reply_headers(entries: list[ThreadEntry], *, limit: int = MAX_REFERENCES) -> ThreadHeaders:
    """In-Reply-To = the latest customer Message-ID; References = the chain, oldest first, capped."""
    ordered = sorted(entries, key=lambda e: e.created_at)
    chain: list[str] = []
    for entry in ordered:
        if entry.email_message_id not in chain:
            chain.append(entry.email_message_id)
    customer = [e for e in ordered if e.author_type == "contact"]
    in_reply_to = customer[-1].email_message_id if customer else None
    return ThreadHeaders(in_reply_to=in_reply_to, references=cap_references(chain, limit=limit))


def cap_references(chain: list[str], *, limit: int = MAX_REFERENCES) -> list[str]:
    """Keep the thread's root and the newest ids (RFC 5322 3.6.4 advises keeping the first)."""
    if len(chain) <= limit:
        return chain
    return [chain[0], *chain[-(limit - 1) :]]
