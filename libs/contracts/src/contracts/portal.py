"""Contracts of the customer portal: events on `portal.events`."""

from __future__ import annotations

from datetime import datetime

from contracts.envelope import EventPayload

SERVICE = "portal"


class MagicLinkRequested(EventPayload):
    """A known contact asked to sign in; notifications mails them the link."""

    EVENT_TYPE = "magic_link_requested"
    contact_id: int
    email: str
    name: str = ""
    link_url: str
    expires_at: datetime
