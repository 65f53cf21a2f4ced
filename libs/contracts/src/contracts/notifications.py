"""Contracts of the notifications service: events on `notifications.events`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

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


class DeliveryRead(BaseModel):
    """One entry of the delivery log (E5), as `notifications.list_deliveries` answers it."""

    model_config = ConfigDict(extra="ignore")

    id: int
    kind: str
    channel: str
    recipient: str
    case_id: int | None = None
    case_message_id: int | None = None
    email_message_id: str | None = None
    subject: str = ""
    status: str  # queued | sent | failed | suppressed | dead
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    created_at: datetime
    sent_at: datetime | None = None


class SuppressionRead(BaseModel):
    """An address no mail goes to until an operator clears it (E4), as `list_suppressions` answers it."""

    model_config = ConfigDict(extra="ignore")

    address: str
    reason: str
    status: str = ""  # the DSN status of the bounce that caused it
    case_id: int | None = None
    original_message_id: str | None = None
    created_at: datetime


class AgentNotified(EventPayload):
    """An agent got an in-app notification (E2); the gateway pushes it to their open browsers."""

    EVENT_TYPE = "agent_notified"
    notification_id: int
    agent_id: int
    kind: str  # new_case_in_group | assigned_to_me | customer_replied
    case_id: int
    case_number: int
    title: str
    created_at: datetime


class AgentNotificationRead(BaseModel):
    """One in-app notification of an agent."""

    model_config = ConfigDict(extra="ignore")

    id: int
    agent_id: int
    kind: str
    case_id: int
    case_number: int
    title: str
    created_at: datetime
    read_at: datetime | None = None


class AgentNotificationPage(BaseModel):
    """An agent's newest notifications and how many are unread, as `list_agent_notifications` answers it."""

    model_config = ConfigDict(extra="ignore")

    items: list[AgentNotificationRead]
    unread: int = 0
