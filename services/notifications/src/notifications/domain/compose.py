"""Outgoing mail, written as complete RFC 5322 messages (text + HTML), ready to be stored and sent as is."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from contracts.cases import CaseRead, MessageRead
from notifications.domain.threads import ThreadHeaders

# RFC 3834: a reply a machine sent because a message came in
AUTO_REPLIED = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
# RFC 3834: a machine's own message, not caused by an incoming mail
AUTO_GENERATED = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}


@dataclass(frozen=True)
class Mailbox:
    email: str
    name: str = ""


@dataclass(frozen=True)
class OutgoingMail:
    """A rendered message: stored with its delivery so a retry sends the very same bytes."""

    subject: str
    message_id: str
    raw: bytes
    headers: dict[str, str] = field(default_factory=dict)


def confirmation(
    *, case: CaseRead, to: Mailbox, sender: Mailbox, message_id: str, in_reply_to: str | None, date: datetime
) -> OutgoingMail:
    """The receipt a customer gets when their email opened a case (E1)."""
    subject = f"[#{case.number}] {_one_line(case.title)}"
    greeting = f"Hello {to.name}," if to.name else "Hello,"
    text = (
        f"{greeting}\n\n"
        f"We have received your request and opened case #{case.number}: {_one_line(case.title)}.\n"
        "We will get back to you as soon as we can. To add information, simply reply to this email "
        f"and keep [#{case.number}] in the subject.\n\n"
        f"Kind regards,\n{sender.name or sender.email}\n"
    )
    body = (
        f"<p>{html.escape(greeting)}</p>"
        f"<p>We have received your request and opened case <strong>#{case.number}</strong>: "
        f"{html.escape(_one_line(case.title))}.</p>"
        "<p>We will get back to you as soon as we can. To add information, simply reply to this email "
        f"and keep [#{case.number}] in the subject.</p>"
        f"<p>Kind regards,<br>{html.escape(sender.name or sender.email)}</p>"
    )
    threading = ThreadHeaders(in_reply_to=in_reply_to, references=[in_reply_to] if in_reply_to else [])
    return _render(
        subject=subject,
        to=to,
        sender=sender,
        message_id=message_id,
        threading=threading,
        date=date,
        text=text,
        html_body=body,
        extra=AUTO_REPLIED,
    )


def agent_reply(
    *,
    case: CaseRead,
    message: MessageRead,
    to: Mailbox,
    sender: Mailbox,
    message_id: str,
    threading: ThreadHeaders,
    date: datetime,
) -> OutgoingMail:
    """An agent's public reply, as mail that threads back onto the case when answered (B4, E6)."""
    subject = f"Re: {_one_line(case.title)} [#{case.number}]"
    footer_text = f"\n\n--\nCase #{case.number}. Reply to this email to answer.\n"
    text = message.body_text.rstrip() + footer_text
    # cases hands over sanitised HTML; plain text is escaped and keeps its line breaks
    html_part = message.body_html or "<br>\n".join(html.escape(line) for line in message.body_text.splitlines())
    body = f'<div>{html_part}</div><p style="color:#666">Case #{case.number}. Reply to this email to answer.</p>'
    return _render(
        subject=subject,
        to=to,
        sender=sender,
        message_id=message_id,
        threading=threading,
        date=date,
        text=text,
        html_body=body,
        extra={},
    )


def magic_link(
    *, to: Mailbox, sender: Mailbox, link_url: str, expires_at: datetime, message_id: str, date: datetime
) -> OutgoingMail:
    """The portal sign-in link (D1)."""
    subject = "Your sign-in link"
    expiry = expires_at.strftime("%Y-%m-%d %H:%M UTC")
    text = (
        f"Hello{' ' + to.name if to.name else ''},\n\n"
        f"Use this link to sign in to the support portal:\n\n{link_url}\n\n"
        f"The link works once and expires at {expiry}. If you did not ask for it, ignore this email.\n"
    )
    body = (
        f"<p>Hello{html.escape(' ' + to.name if to.name else '')},</p>"
        f'<p><a href="{html.escape(link_url, quote=True)}">Sign in to the support portal</a></p>'
        f"<p>The link works once and expires at {html.escape(expiry)}. "
        "If you did not ask for it, ignore this email.</p>"
    )
    return _render(
        subject=subject,
        to=to,
        sender=sender,
        message_id=message_id,
        threading=ThreadHeaders(None, []),
        date=date,
        text=text,
        html_body=body,
        extra=AUTO_GENERATED,
    )


AGENT_ALERT_LABELS = {
    "new_case_in_group": "New case in your group",
    "assigned_to_me": "Assigned to you",
    "customer_replied": "The customer replied",
}


def agent_alert(
    *, kind: str, case: CaseRead, case_url: str, to: Mailbox, sender: Mailbox, message_id: str, date: datetime
) -> OutgoingMail:
    """An agent's notification by mail (E2), for those who asked for it."""
    label = AGENT_ALERT_LABELS.get(kind, kind)
    subject = f"{label}: [#{case.number}] {_one_line(case.title)}"
    text = f"{label}: case #{case.number}, {_one_line(case.title)}.\n\nOpen it: {case_url}\n"
    body = (
        f"<p>{html.escape(label)}: case <strong>#{case.number}</strong>, {html.escape(_one_line(case.title))}.</p>"
        f'<p><a href="{html.escape(case_url, quote=True)}">Open the case</a></p>'
    )
    return _render(
        subject=subject,
        to=to,
        sender=sender,
        message_id=message_id,
        threading=ThreadHeaders(None, []),
        date=date,
        text=text,
        html_body=body,
        extra=AUTO_GENERATED,
    )


def _render(
    *,
    subject: str,
    to: Mailbox,
    sender: Mailbox,
    message_id: str,
    threading: ThreadHeaders,
    date: datetime,
    text: str,
    html_body: str,
    extra: dict[str, str],
) -> OutgoingMail:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = formataddr((sender.name, sender.email))
    msg["To"] = formataddr((to.name, to.email))
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{message_id}>"
    headers: dict[str, str] = {}
    if threading.in_reply_to:
        headers["In-Reply-To"] = f"<{threading.in_reply_to}>"
    if threading.references:
        headers["References"] = " ".join(f"<{ref}>" for ref in threading.references)
    headers.update(extra)
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(text)
    msg.add_alternative(f"<!doctype html><html><body>{html_body}</body></html>", subtype="html")
    return OutgoingMail(subject=subject, message_id=message_id, raw=msg.as_bytes(), headers=headers)


def _one_line(value: str) -> str:
    """Header-safe: a title with line breaks must not inject headers."""
    return " ".join(value.split())
