"""Customer mail settings (E3), resolved: service defaults <- workspace level <- customer organisation. Pure.

Each level stores only what it sets (null = inherit), so an organisation overrides the workspace one
field at a time and follows later changes of everything it left alone (decision 0093).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts.notifications import ConversationMode, CustomerMailSettingsWrite, EffectiveCustomerMail

WORKSPACE = "workspace"
FIELDS = ("conversation", "sender_address", "sender_name", "closing_greeting", "cc_followers")


def scope_key(organisation_id: int | None) -> str:
    return WORKSPACE if organisation_id is None else f"org:{organisation_id}"


@dataclass(frozen=True)
class Defaults:
    """What applies when nobody set anything: the service's own sender."""

    sender_address: str
    sender_name: str


def resolve(defaults: Defaults, levels: Sequence[CustomerMailSettingsWrite]) -> EffectiveCustomerMail:
    """Apply `levels` (most general first) over the defaults: a set field wins over the levels before it."""
    merged: dict[str, object] = {
        "conversation": ConversationMode.FULL,
        "sender_address": defaults.sender_address,
        "sender_name": defaults.sender_name,
        "closing_greeting": "",
        "cc_followers": False,
    }
    for level in levels:
        for name in FIELDS:
            value = getattr(level, name)
            if value is not None:
                merged[name] = value
    return EffectiveCustomerMail.model_validate(merged)
