"""Contracts of the customer portal: events on `portal.events`."""

from __future__ import annotations

from datetime import datetime

from contracts.envelope import EventPayload
from contracts.forms import FormAnswer, FormFile

SERVICE = "portal"


class MagicLinkRequested(EventPayload):
    """A known contact asked to sign in; notifications mails them the link."""

    EVENT_TYPE = "magic_link_requested"
    contact_id: int
    email: str
    name: str = ""
    link_url: str
    expires_at: datetime


class FormSubmitted(EventPayload):
    """A signed-in contact sent a department form; cases opens their case from it (once per `submission_id`)."""

    EVENT_TYPE = "form_submitted"
    submission_id: str
    contact_id: int
    form_id: int
    form_name: str
    group_id: int | None = None
    answers: list[FormAnswer]
    files: list[FormFile] = []
    submitted_at: datetime
