"""Outgoing mail, written as complete RFC 5322 messages (text + HTML), ready to be stored and sent as is. Pure."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from contracts.cases import CaseRead, MessageRead
from notifications.mail.rules import (
    MailAttachment,
    NoticeText,
    Signoff,
    ThreadHeaders,
    ThreadingAids,
    case_subject,
    mime_type,
)

# RFC 3834: a reply a machine sent because a message came in
AUTO_REPLIED = {"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "All"}
# RFC 3834: a machine's own message, not caused by an incoming mail
AUTO_GENERATED = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}
# a reply's files over the mail's size limit are named after its text (decision 0102)
NOT_ATTACHED = "Too large to send by email, see your case in the portal"


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
    # the From address: its mailbox's own SMTP server sends the mail when it has one (decision 0227)
    sender: str = ""


def confirmation(
    *,
    case: CaseRead,
    to: Mailbox,
    sender: Mailbox,
    message_id: str,
    in_reply_to: str | None,
    date: datetime,
    aids: ThreadingAids | None = None,
    link_url: str | None = None,
) -> OutgoingMail:
    """The receipt a customer gets when their email opened a case (E1), with its signed portal link (D5)."""
    subject = (
        case_subject(title=case.title, token=aids.subject_token)
        if aids
        else f"[#{case.number}] {_one_line(case.title)}"
    )
    greeting = f"Hello {to.name}," if to.name else "Hello,"
    text = (
        f"{greeting}\n\n"
        f"We have received your request and opened case #{case.number}: {_one_line(case.title)}.\n"
        "We will get back to you as soon as we can. To add information, simply reply to this email "
        f"and keep [#{case.number}] in the subject.\n\n"
        + (f"Follow and answer your case here, no sign-in needed:\n{link_url}\n\n" if link_url else "")
        + f"Kind regards,\n{sender.name or sender.email}\n"
    )
    body = (
        f"<p>{html.escape(greeting)}</p>"
        f"<p>We have received your request and opened case <strong>#{case.number}</strong>: "
        f"{html.escape(_one_line(case.title))}.</p>"
        "<p>We will get back to you as soon as we can. To add information, simply reply to this email "
        f"and keep [#{case.number}] in the subject.</p>"
        + (
            f'<p><a href="{html.escape(link_url, quote=True)}">Follow and answer your case here</a>, '
            "no sign-in needed.</p>"
            if link_url
            else ""
        )
        + f"<p>Kind regards,<br>{html.escape(sender.name or sender.email)}</p>"
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
        reply_to=aids.reply_to if aids else None,
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
    aids: ThreadingAids | None = None,
    signoff: Signoff | None = None,
    cc: list[Mailbox] | None = None,
    link_url: str | None = None,
    attachments: Sequence[MailAttachment] = (),
    not_attached: Sequence[str] = (),
    first: bool = False,
) -> OutgoingMail:
    """An agent's public reply, as mail that threads back onto the case when answered (B4, E6).

    `first`: nothing of the case reached the contact by mail before (an agent's new email, A7): no "Re:".

    `attachments` go with the mail; `not_attached` (over the size limit) are named in it (decision 0102).

    `link_url` (E3 "link only"): the mail says there is an answer and links to it, without its text.
    """
    subject = (
        case_subject(title=case.title, token=aids.subject_token, reply=not first)
        if aids
        else f"{'' if first else 'Re: '}{_one_line(case.title)} [#{case.number}]"
    )
    footer_text = f"\n\n--\nCase #{case.number}. Reply to this email to answer.\n"
    closing = signoff.text() if signoff else ""
    if link_url is not None:
        said = f"There is a new answer on your case #{case.number}. Read it and answer here:\n{link_url}"
        text = said + (f"\n\n{closing}" if closing else "") + footer_text
        html_part = (
            f"There is a new answer on your case <strong>#{case.number}</strong>. "
            f'<a href="{html.escape(link_url, quote=True)}">Read it and answer here</a>.'
        )
    else:
        names = ", ".join(_one_line(n) for n in not_attached)
        missing = f"\n\n{NOT_ATTACHED}: {names}" if names else ""
        text = message.body_text.rstrip() + missing + (f"\n\n{closing}" if closing else "") + footer_text
        # cases hands over sanitised HTML; plain text is escaped and keeps its line breaks
        html_part = message.body_html or "<br>\n".join(html.escape(line) for line in message.body_text.splitlines())
        if names:
            html_part += f"<p>{NOT_ATTACHED}: {html.escape(names)}</p>"
    closing_html = f"<p>{signoff.html()}</p>" if signoff and closing else ""
    body = (
        f"<div>{html_part}</div>{closing_html}"
        f'<p style="color:#666">Case #{case.number}. Reply to this email to answer.</p>'
    )
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
        reply_to=aids.reply_to if aids else None,
        cc=cc or [],
        # "link only" mail carries no part of the conversation, its files neither
        attachments=attachments if link_url is None else (),
    )


def customer_notice(
    *,
    case: CaseRead,
    notice: NoticeText,
    to: Mailbox,
    sender: Mailbox,
    message_id: str,
    threading: ThreadHeaders,
    date: datetime,
    aids: ThreadingAids,
) -> OutgoingMail:
    """A resolved/closed notice or a completion request to the requester (E1): automatic, threaded."""
    return _render(
        subject=case_subject(title=case.title, token=aids.subject_token, label=notice.label),
        to=to,
        sender=sender,
        message_id=message_id,
        threading=threading,
        date=date,
        text=notice.text,
        html_body=notice.html,
        extra=AUTO_GENERATED,
        reply_to=aids.reply_to,
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
    return _notice(subject=subject, to=to, sender=sender, message_id=message_id, date=date, text=text, html_body=body)


def agent_access_link(
    *,
    to: Mailbox,
    sender: Mailbox,
    subject: str,
    intro: str,
    action: str,
    link_url: str,
    expires_at: datetime,
    message_id: str,
    date: datetime,
) -> OutgoingMail:
    """A link to the agent UI where an agent sets a password (an invitation, a reset): single use, expiring."""
    expiry = expires_at.strftime("%Y-%m-%d %H:%M UTC")
    greeting = f"Hello{' ' + to.name if to.name else ''},"
    text = (
        f"{greeting}\n\n{intro}\n\n{action}:\n{link_url}\n\n"
        f"The link works once and expires at {expiry}. If you did not expect this email, ignore it.\n"
    )
    body = (
        f"<p>{html.escape(greeting)}</p><p>{html.escape(intro)}</p>"
        f'<p><a href="{html.escape(link_url, quote=True)}">{html.escape(action)}</a></p>'
        f"<p>The link works once and expires at {html.escape(expiry)}. "
        "If you did not expect this email, ignore it.</p>"
    )
    return _notice(subject=subject, to=to, sender=sender, message_id=message_id, date=date, text=text, html_body=body)


def agent_alert(
    *,
    label: str,
    case: CaseRead,
    case_url: str,
    to: Mailbox,
    sender: Mailbox,
    message_id: str,
    date: datetime,
    detail: str = "",
) -> OutgoingMail:
    """An agent's notification by mail (E2), for those who asked for it; `detail`: which task, which target."""
    subject = f"{label}: [#{case.number}] {_one_line(case.title)}"
    more = f"{_one_line(detail)}\n" if detail else ""
    text = f"{label}: case #{case.number}, {_one_line(case.title)}.\n{more}\nOpen it: {case_url}\n"
    body = (
        f"<p>{html.escape(label)}: case <strong>#{case.number}</strong>, {html.escape(_one_line(case.title))}.</p>"
        + (f"<p>{html.escape(_one_line(detail))}</p>" if detail else "")
        + f'<p><a href="{html.escape(case_url, quote=True)}">Open the case</a></p>'
    )
    return _notice(subject=subject, to=to, sender=sender, message_id=message_id, date=date, text=text, html_body=body)


def mailbox_alert(
    *,
    to: Mailbox,
    sender: Mailbox,
    address: str,
    reason: str,
    page_url: str,
    message_id: str,
    date: datetime,
) -> OutgoingMail:
    """To an admin: a mailbox's OAuth2 sign-in failed (e.g. its consent was revoked); it must be connected again."""
    subject = f"Mailbox {_one_line(address)} stopped: connect it again"
    what = f"The provider refused to renew the sign-in of the mailbox {_one_line(address)}: {_one_line(reason)}."
    after = "No mail is fetched from it until an admin connects it again on its page."
    text = f"{what}\n{after}\n\nOpen the mailbox: {page_url}\n"
    body = (
        f"<p>{html.escape(what)}</p><p>{html.escape(after)}</p>"
        f'<p><a href="{html.escape(page_url, quote=True)}">Open the mailbox</a></p>'
    )
    return _notice(subject=subject, to=to, sender=sender, message_id=message_id, date=date, text=text, html_body=body)


def mailbox_test(*, to: Mailbox, sender: Mailbox, message_id: str, date: datetime, relay: str) -> OutgoingMail:
    """The message of a mailbox's "send test mail" (decision 0229): which server it left through."""
    text = f"This is a test message from {sender.email}, sent through {relay} by the help desk.\n"
    return _notice(
        subject=f"Test message from {sender.email}",
        to=to,
        sender=sender,
        message_id=message_id,
        date=date,
        text=text,
        html_body=f"<p>{html.escape(text)}</p>",
    )


def _notice(
    *, subject: str, to: Mailbox, sender: Mailbox, message_id: str, date: datetime, text: str, html_body: str
) -> OutgoingMail:
    """An automatic mail on no thread: sign-in links, alerts, test mail."""
    return _render(
        subject=subject,
        to=to,
        sender=sender,
        message_id=message_id,
        threading=ThreadHeaders(None, []),
        date=date,
        text=text,
        html_body=html_body,
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
    reply_to: str | None = None,
    cc: list[Mailbox] | None = None,
    attachments: Sequence[MailAttachment] = (),
) -> OutgoingMail:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = formataddr((sender.name, sender.email))
    msg["To"] = formataddr((to.name, to.email))
    if cc:
        msg["Cc"] = ", ".join(formataddr((c.name, c.email)) for c in cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = f"<{message_id}>"
    headers: dict[str, str] = {}
    if reply_to:
        # the signed plus-address of the case (E6 rule 2): an answer without In-Reply-To still lands
        headers["Reply-To"] = formataddr((sender.name, reply_to))
    if threading.in_reply_to:
        headers["In-Reply-To"] = f"<{threading.in_reply_to}>"
    if threading.references:
        headers["References"] = " ".join(f"<{ref}>" for ref in threading.references)
    headers.update(extra)
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(text)
    msg.add_alternative(f"<!doctype html><html><body>{html_body}</body></html>", subtype="html")
    for file in attachments:
        maintype, subtype = mime_type(file.content_type)
        msg.add_attachment(file.data, maintype=maintype, subtype=subtype, filename=_one_line(file.filename))
    return OutgoingMail(
        subject=subject, message_id=message_id, raw=msg.as_bytes(), headers=headers, sender=sender.email.lower()
    )


def _one_line(value: str) -> str:
    """Header-safe: a title with line breaks must not inject headers."""
    return " ".join(value.split())
