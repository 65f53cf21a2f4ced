"""Rules of customer mail, pure (no I/O): who gets a confirmation or a reply, which address it comes from, how
it threads, what it carries besides its body (E1, E6, B12: the signed subject token, the signed plus-address as
Reply-To, the closing greeting and signature), the texts of status notices, and which of a reply's files travel
with it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from contracts.cases import (
    Actor,
    AttachmentRef,
    AuthorType,
    CaseRead,
    ContactChannel,
    MessageRead,
    Source,
    Status,
    Visibility,
)
from contracts.tokens import make_case_link_token, make_reply_address, make_subject_token
from notifications.safety.rules import suppression_reason
from notifications.sms.rules import normalise_phone

# any case token we may have put into a subject before, signed or not: `[#1234]`, `[#1234-0123456789ab]`
_ANY_TOKEN = re.compile(r"\s*\[#\d+(?:-[0-9a-f]{12})?\]\s*", re.IGNORECASE)
# reply/forward prefixes of common mail programs (en, sv, no, da, de, fi, fr)
_PREFIX = re.compile(r"^\s*((re|sv|aw|vs|antw|fw|fwd|vb|wg|tr)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class ThreadingAids:
    """The two ways besides Message-IDs that let a customer's answer find its case (E6 rules 2 and 3)."""

    subject_token: str
    reply_to: str | None


@dataclass(frozen=True)
class Signoff:
    """The closing greeting and signature an agent's mail ends with (B12); empty parts are left out."""

    greeting: str = ""
    signature: str = ""

    def text(self) -> str:
        parts = [p.strip() for p in (self.greeting, self.signature) if p.strip()]
        return "\n".join(parts)

    def html(self) -> str:
        parts = [p.strip() for p in (self.greeting, self.signature) if p.strip()]
        return "<br>\n".join("<br>\n".join(html.escape(line) for line in p.splitlines()) for p in parts)


def threading_aids(
    *, case: CaseRead, sender_address: str, secret: str, plain_reply_to: Iterable[str] = ()
) -> ThreadingAids:
    """The signed subject token, and the signed plus-address unless the sender mailbox cannot take one."""
    token = make_subject_token(number=case.number, secret=secret)
    no_plus = {a.strip().lower() for a in plain_reply_to}
    reply_to = None
    if sender_address.strip().lower() not in no_plus:
        reply_to = make_reply_address(address=sender_address, case_id=case.id, secret=secret)
    return ThreadingAids(subject_token=token, reply_to=reply_to)


def bare_title(title: str) -> str:
    """The case title without reply prefixes or case tokens: a case opened from "Re: x [#12-…]" says "x"."""
    one_line = " ".join(title.split())
    without_tokens = _ANY_TOKEN.sub(" ", one_line)
    return " ".join(_PREFIX.sub("", without_tokens).split()) or "(no subject)"


def case_subject(*, title: str, token: str, reply: bool = False, label: str = "") -> str:
    """`<token> <title>` (first mail), `Re: <title> <token>` (replies), `<label>: <title> <token>`.

    The title is stripped of earlier prefixes and tokens first, so answering an answer never stacks
    "Re: Re:" or a second token.
    """
    base = bare_title(title)
    if label:
        return f"{label}: {base} {token}"
    if reply:
        return f"Re: {base} {token}"
    return f"{token} {base}"


# -- status notices (E1): resolved, closed, completion request ----------------------------------

NOTICE_RESOLVED = "resolved_notice"
NOTICE_CLOSED = "closed_notice"
COMPLETION_REQUEST = "completion_request"
NOTICE_KINDS = (NOTICE_RESOLVED, NOTICE_CLOSED, COMPLETION_REQUEST)


def notice_kind(*, changes: dict[str, dict[str, object]], actor: Actor | None, caused_by_message: bool) -> str | None:
    """Which notice a status change deserves, or None.

    Only moves an agent (or the system) made on purpose: a change a message caused is told by that
    message's own mail, and a customer who closed their own case needs no mail saying so.
    """
    change = changes.get("status")
    if not change or caused_by_message:
        return None
    if actor is not None and actor.type == AuthorType.CONTACT:
        return None
    new = change.get("new")
    if new == Status.RESOLVED.value:
        return NOTICE_RESOLVED
    if new == Status.CLOSED.value and change.get("old") != Status.CLOSED.value:
        return NOTICE_CLOSED
    if new == Status.WAITING.value and actor is not None and actor.type == AuthorType.AGENT:
        return COMPLETION_REQUEST
    return None


@dataclass(frozen=True)
class NoticeText:
    label: str
    text: str
    html: str


def notice_text(*, kind: str, case: CaseRead, name: str, signoff: Signoff, link_url: str | None = None) -> NoticeText:
    """The words of one notice; `case.solution` is the agent's public solution text and may be shown."""
    title = bare_title(case.title)
    greeting = f"Hello {name}," if name else "Hello,"
    if kind == NOTICE_RESOLVED:
        label = "Resolved"
        lines = [f"Your case #{case.number} ({title}) has been resolved."]
        if case.solution:
            lines += ["", "Solution:", case.solution.strip()]
        lines += ["", "If the problem is not solved, simply reply to this email and the case opens again."]
    elif kind == NOTICE_CLOSED:
        label = "Closed"
        lines = [f"Your case #{case.number} ({title}) is now closed.", "", "Thank you for contacting us."]
    elif kind == COMPLETION_REQUEST:
        label = "More information needed"
        lines = [
            f"We need more information from you to continue with case #{case.number} ({title}).",
            "",
            "Please reply to this email with the details; the case goes back to us as soon as you answer.",
        ]
    else:
        raise ValueError(f"unknown notice kind {kind!r}")
    if link_url:
        lines += ["", f"You can also follow the case here: {link_url}"]
    closing = signoff.text() or "Kind regards,\nSupport"
    text = "\n".join([greeting, "", *lines, "", closing]) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>" for line in [greeting, *lines] if line)
    body += f"<p>{signoff.html() or 'Kind regards,<br>Support'}</p>"
    return NoticeText(label=label, text=text, html=body)


# -- followers in CC of public replies (E3) ------------------------------------------------------


def cc_candidates(case: CaseRead, *, own_addresses: Iterable[str]) -> list[tuple[str, str]]:
    """(email, name) of the case's followers who may be copied on a public reply: not the requester,
    not ours, no robots or no-reply boxes, each once. Suppressed (bounced) ones are the caller's to drop.
    """
    own = list(own_addresses)
    requester = (case.requester.email or "").strip().lower() if case.requester else ""
    seen = {requester}
    picked: list[tuple[str, str]] = []
    for follower in case.followers:
        email = (follower.email or "").strip().lower()
        if not email or email in seen or suppression_reason(email, own_addresses=own):
            continue
        seen.add(email)
        picked.append((email, follower.name))
    return picked


def notice_phone(case: CaseRead) -> str | None:
    """The requester's phone when notices go by SMS: they prefer it, wrote in by SMS, or have no email."""
    requester = case.requester
    phone = normalise_phone(requester.phone or "") if requester else None
    if requester is None or phone is None:
        return None
    if requester.preferred_channel == ContactChannel.SMS or case.source == Source.SMS or not requester.email:
        return phone
    return None


def notice_sms(*, kind: str, case: CaseRead) -> str:
    """A status notice as one short SMS, for contacts who prefer SMS."""
    title = bare_title(case.title)[:80]
    words = {
        NOTICE_RESOLVED: f"Your case #{case.number} ({title}) has been resolved. Reply to this SMS if it is not.",
        NOTICE_CLOSED: f"Your case #{case.number} ({title}) is now closed. Thank you for contacting us.",
        COMPLETION_REQUEST: f"We need more information to continue with case #{case.number} ({title}). "
        "Please reply to this SMS.",
    }
    return words[kind]


def portal_case_url(portal_url: str, case: CaseRead) -> str:
    """Where a customer reads and answers a case in the portal (they sign in with a magic link)."""
    return f"{portal_url.rstrip('/')}/cases/{case.id}"


def case_link_url(*, portal_url: str, case: CaseRead, secret: str, ttl_seconds: int, now: float) -> str:
    """The signed link (D5) that opens this case for its requester without a sign-in, until it expires.

    A case without a known requester contact gets the plain case address (the portal asks for a sign-in).
    """
    if case.requester is None or ttl_seconds <= 0:
        return portal_case_url(portal_url, case)
    token = make_case_link_token(
        case_id=case.id, contact_id=case.requester.id, expires_at=int(now) + ttl_seconds, secret=secret
    )
    return f"{portal_url.rstrip('/')}/c/{token}"


# -- who gets which mail (E1, E4) --------------------------------------------------------------


def confirmation_recipient(
    case: CaseRead, started_by: AuthorType | None = None, confirm: bool | None = None
) -> str | None:
    """The address a confirmation goes to, if any: the requester's, when the case's source confirms its new
    cases or its creator asked for one (`confirm`, E1). Without `confirm` (events from before the setting):
    email cases only, never one an agent started by writing to the contact (A7)."""
    if case.requester is None or not case.requester.email:
        return None
    if confirm is None:
        confirm = case.source == Source.EMAIL and started_by is not AuthorType.AGENT
    return case.requester.email if confirm else None


def confirmation_blocker(
    *, recipient: str, first_message: MessageRead | None, own_addresses: Iterable[str]
) -> str | None:
    """Why a confirmation must not be sent (never answer robots or ourselves), or None."""
    own = list(own_addresses)
    if first_message is not None and first_message.author_type == AuthorType.SYSTEM:
        return "first message is automatic"
    reason = suppression_reason(recipient, own_addresses=own)
    if reason:
        return reason
    if first_message is not None and first_message.author_email:
        sender_reason = suppression_reason(first_message.author_email, own_addresses=own)
        if sender_reason:
            return f"sender: {sender_reason}"
    return None


def reply_recipient(case: CaseRead, message: MessageRead) -> str | None:
    """The requester's address when `message` is an agent's public reply; internal notes never leave."""
    if message.author_type != AuthorType.AGENT or message.visibility != Visibility.PUBLIC:
        return None
    if case.requester is None or not case.requester.email:
        return None
    return case.requester.email


# -- which address customer mail of a case is sent from (decision 0101) --------------------------
#
# Precedence: the mailbox the case came in on (`CaseRead.mailbox`) > the customer organisation's
# `sender_address` > the workspace's > `NOTIFICATIONS_FROM_ADDRESS`. The last three are already merged
# into the effective E3 settings (decision 0093); this adds the first.


def sender_address(*, case_mailbox: str | None, configured: str) -> str:
    """The From (and plus-address Reply-To base) of a case's customer mail."""
    mailbox = (case_mailbox or "").strip().lower()
    local, at, domain = mailbox.partition("@")
    if at and local and domain and "@" not in domain and not any(c.isspace() for c in mailbox):
        return mailbox
    return configured


# -- threading: In-Reply-To the customer's latest mail, References the case's chain ------------

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


# -- which files of an agent's reply travel with the customer's email (decision 0102) ---------------
#
# Files go in the order the agent attached them while the mail's total stays within the limit; a file
# that does not fit is left out and named in the mail (the customer finds it on the case in the portal).
# Only files of the cases store (with an `attachment_id`) can be fetched.


@dataclass(frozen=True)
class MailAttachment:
    filename: str
    content_type: str
    data: bytes


def choose(refs: Sequence[AttachmentRef], *, limit: int) -> tuple[list[AttachmentRef], list[AttachmentRef]]:
    """(files to attach, files left out) with the attached ones' sizes summing to at most `limit` bytes."""
    chosen: list[AttachmentRef] = []
    left_out: list[AttachmentRef] = []
    total = 0
    for ref in refs:
        if ref.attachment_id is None:
            continue
        if total + ref.size <= limit:
            chosen.append(ref)
            total += ref.size
        else:
            left_out.append(ref)
    return chosen, left_out


def mime_type(content_type: str) -> tuple[str, str]:
    """`type/subtype` as stored by cases (already cleaned); anything odd becomes application/octet-stream."""
    maintype, _, subtype = content_type.partition("/")
    if not maintype or not subtype or maintype == "multipart" or any(c in content_type for c in " ;\r\n"):
        return "application", "octet-stream"
    return maintype, subtype
