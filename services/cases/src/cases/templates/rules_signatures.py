"""Greeting and signature precedence (B12): general < mailbox < personal < personal per mailbox. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

GENERAL, MAILBOX, PERSONAL, PERSONAL_MAILBOX = "general", "mailbox", "personal", "personal_mailbox"
_RANK = {GENERAL: 0, MAILBOX: 1, PERSONAL: 2, PERSONAL_MAILBOX: 3}


@dataclass(frozen=True)
class Level:
    agent_id: int | None
    mailbox: str | None
    greeting: str
    signature: str


def normalise_mailbox(mailbox: str | None) -> str | None:
    return mailbox.strip().lower() if mailbox and mailbox.strip() else None


def level_of(*, agent_id: int | None, mailbox: str | None) -> str:
    if agent_id is None:
        return MAILBOX if mailbox else GENERAL
    return PERSONAL_MAILBOX if mailbox else PERSONAL


def scope_key(*, agent_id: int | None, mailbox: str | None) -> str:
    """One key per (agent, mailbox), nulls included (a unique index on nullable columns would not be)."""
    return f"{agent_id if agent_id is not None else '*'}|{mailbox or '*'}"


def resolve(levels: Iterable[Level], *, agent_id: int, mailbox: str | None) -> tuple[str, str, str | None, str | None]:
    """(greeting, signature, greeting level, signature level): each part from the most specific level that sets it."""
    mailbox = normalise_mailbox(mailbox)
    applicable = [
        lv
        for lv in levels
        if (lv.agent_id is None or lv.agent_id == agent_id) and (lv.mailbox is None or lv.mailbox == mailbox)
    ]
    applicable.sort(key=lambda lv: _RANK[level_of(agent_id=lv.agent_id, mailbox=lv.mailbox)], reverse=True)
    greeting = next((lv for lv in applicable if lv.greeting.strip()), None)
    signature = next((lv for lv in applicable if lv.signature.strip()), None)
    return (
        greeting.greeting if greeting else "",
        signature.signature if signature else "",
        level_of(agent_id=greeting.agent_id, mailbox=greeting.mailbox) if greeting else None,
        level_of(agent_id=signature.agent_id, mailbox=signature.mailbox) if signature else None,
    )
