"""Contracts of the gateway: events on `gateway.events`."""

from __future__ import annotations

from datetime import datetime

from contracts.envelope import EventPayload

SERVICE = "gateway"


class SmsReceived(EventPayload):
    """A customer's SMS came in through the Twilio webhook (A5, G3); cases opens a case or adds a message."""

    EVENT_TYPE = "sms_received"
    message_sid: str
    from_number: str
    to_number: str = ""
    body: str = ""
    num_media: int = 0


class AgentInvited(EventPayload):
    """An admin invited an agent; notifications mails them the link where they set their password."""

    EVENT_TYPE = "agent_invited"
    agent_id: int | None = None
    email: str
    name: str = ""
    invited_by: str = ""
    link_url: str
    expires_at: datetime


class AgentPasswordResetRequested(EventPayload):
    """Someone asked, from the sign-in page, to reset a known agent's password; notifications mails the link."""

    EVENT_TYPE = "agent_password_reset_requested"
    agent_id: int | None = None
    email: str
    name: str = ""
    link_url: str
    expires_at: datetime
