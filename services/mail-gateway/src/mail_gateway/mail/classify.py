"""Classify a parsed mail as normal, auto-reply, bounce, mailing list or loop (pure rules)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from mail_gateway.mail.charsets import decode_bytes
from mail_gateway.mail.parsed import ParsedMail

Kind = Literal["normal", "auto_reply", "bounce", "mailing_list", "loop"]


@dataclass(frozen=True)
class BounceInfo:
    recipients: list[str] = field(default_factory=list)  # Final- (else Original-) Recipient
    action: str | None = None  # failed, delayed, delivered, relayed, expanded
    status: str | None = None  # RFC 3463 code, e.g. "5.1.1"
    hard: bool = False  # permanent failure: stop mailing this address
    original_message_id: str | None = None  # Message-ID of our mail that bounced
    diagnostic: str | None = None


@dataclass(frozen=True)
class Classification:
    kind: Kind
    reason: str  # short machine-readable code, e.g. "header:auto-submitted"
    bounce: BounceInfo | None = None


_BOUNCE_SENDERS = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)(@|$)", re.I)
_BOUNCE_WORDS = re.compile(
    r"undeliver|undelivered|delivery (status )?notification|delivery (has )?failed|"
    r"mail delivery (failed|system|subsystem)|returned mail|failure notice|non[- ]?remis|"
    r"unzustellbar|nicht zustellbar|olevererbar|kunne ikke leveres|ikke levert|"
    r"delivery status|could not be delivered",
    re.I,
)

# Unambiguous anywhere in the subject.
_OOF_ANYWHERE = re.compile(
    r"out of (the )?office|\bautomatic reply\b|\bauto[- ]?reply\b|\bauto[- ]?response\b|"
    r"\bautosvar\b|\bautomatiske? svar\b|\bautomatiskt svar\b|\bautomatisk svar\b|"
    r"abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|automatisch antwoord|"
    r"afwezigheidsassistent|ikke til stede|ej på kontoret|nicht im büro",
    re.I,
)
# Words that are also ordinary HR subjects ("Fravær", "Absence") count only as a prefix label.
_OOF_PREFIX = re.compile(
    r"^\s*(fraværende|fravær|frånvarande|frånvaro|abwesend|absent|absence|away|"
    r"abwesenheit|borte|på ferie|på semester)\s*:",
    re.I,
)


def classify(parsed: ParsedMail, own_addresses: Iterable[str]) -> Classification:
    """Decide what kind of mail this is; the first matching rule wins."""
    own = {a.strip().lower() for a in own_addresses}
    headers = parsed.headers
    sender = parsed.from_address.email if parsed.from_address else ""

    if sender and sender in own:
        return Classification("loop", "sender:own-address")
    x_loop = headers.get("x-loop", "").strip().strip("<>").lower()
    if x_loop and x_loop in own:
        return Classification("loop", "header:x-loop")

    bounce_reason = _bounce_reason(parsed, sender)
    if bounce_reason:
        return Classification("bounce", bounce_reason, parse_bounce(parsed))

    precedence = headers.get("precedence", headers.get("x-precedence", "")).strip().lower()
    if "list-id" in headers:
        return Classification("mailing_list", "header:list-id")

    auto_submitted = headers.get("auto-submitted", "").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return Classification("auto_reply", "header:auto-submitted")
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if name in headers:
            return Classification("auto_reply", f"header:{name}")
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return Classification("auto_reply", "header:precedence")
    if "x-auto-response-suppress" in headers:
        suppress = headers["x-auto-response-suppress"].strip().lower()
        if suppress and suppress != "none":
            return Classification("auto_reply", "header:x-auto-response-suppress")
    if _OOF_ANYWHERE.search(parsed.subject) or _OOF_PREFIX.search(parsed.subject):
        return Classification("auto_reply", "subject:out-of-office")
    return Classification("normal", "none")


def _bounce_reason(parsed: ParsedMail, sender: str) -> str | None:
    content_type = parsed.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/report") and re.search(r"report-type\s*=\s*\"?delivery-status", content_type):
        return "dsn:multipart-report"
    if _BOUNCE_SENDERS.match(sender):
        return "sender:mailer-daemon"
    if "x-failed-recipients" in parsed.headers:
        return "header:x-failed-recipients"
    null_sender = parsed.headers.get("return-path", "").strip() == "<>"
    looks_like_dsn = any(a.content_type == "message/delivery-status" for a in parsed.attachments)
    looks_like_dsn = looks_like_dsn or bool(_BOUNCE_WORDS.search(parsed.subject))
    if null_sender and looks_like_dsn:
        return "dsn:null-sender"
    return None


def _field(block: str, name: str) -> str | None:
    match = re.search(rf"^{name}:[ \t]*(.*(?:\n[ \t].*)*)", block, re.I | re.M)
    return re.sub(r"\s+", " ", match.group(1)).strip() if match else None


def _address_of(value: str | None) -> str | None:
    if not value:
        return None
    address = value.split(";", 1)[-1].strip().strip("<>").strip()  # "rfc822; user@host"
    return address.lower() or None


def parse_bounce(parsed: ParsedMail) -> BounceInfo:
    """Read the DSN (RFC 3464) parts of a bounce; fall back to the text for older MTAs."""
    recipients: list[str] = []
    action = status = diagnostic = None
    original_id: str | None = None
    for attachment in parsed.attachments:
        if attachment.content_type != "message/delivery-status":
            continue
        text = decode_bytes(attachment.data, "utf-8").replace("\r\n", "\n")
        for block in re.split(r"\n\s*\n", text):
            recipient = _address_of(_field(block, "Final-Recipient")) or _address_of(
                _field(block, "Original-Recipient")
            )
            if recipient is None:
                continue
            recipients.append(recipient)
            action = action or (_field(block, "Action") or "").lower() or None
            status = status or _status_code(_field(block, "Status") or "")
            diagnostic = diagnostic or _field(block, "Diagnostic-Code")
    for attachment in parsed.attachments:
        if attachment.content_type in ("message/rfc822", "text/rfc822-headers"):
            match = re.search(rb"^Message-ID:[ \t]*\r?\n?[ \t]*<([^>\s]+)>", attachment.data, re.I | re.M)
            if match:
                original_id = match.group(1).decode("utf-8", "replace")
                break
    if original_id is None:
        in_text = re.search(r"^Message-ID:\s*<([^>\s]+)>", parsed.text_body, re.I | re.M)
        original_id = in_text.group(1) if in_text else None
    if not recipients:
        failed = parsed.headers.get("x-failed-recipients", "")
        recipients = [a.strip().lower() for a in failed.split(",") if "@" in a]
    if status is None:
        status = _status_code(parsed.text_body)
    hard = (status or "").startswith("5") or (status is None and action == "failed")
    if status is None and action is None and re.search(r"\b55\d\b", parsed.text_body):
        hard = True  # old-style bounce quoting a permanent SMTP reply code
    return BounceInfo(
        recipients=list(dict.fromkeys(recipients)),
        action=action,
        status=status,
        hard=hard,
        original_message_id=original_id,
        diagnostic=diagnostic,
    )


def _status_code(text: str) -> str | None:
    match = re.search(r"\b([245]\.\d{1,3}\.\d{1,3})\b", text)
    return match.group(1) if match else None
