"""Contracts of the notifications service: events on `notifications.events`."""

from __future__ import annotations

from contracts.envelope import EventPayload

SERVICE = "notifications"


class NotificationSent(EventPayload):
    """An outbound message left the building (handed to the SMTP relay or SMS provider)."""

    EVENT_TYPE = "notification_sent"
    delivery_id: int
    kind: str  # confirmation | reply | magic_link | ...
    channel: str  # email | sms
    recipient: str
    case_id: int | None = None
    case_message_id: int | None = None
    email_message_id: str | None = None
