"""A quick look at a raw mail's header block, taken before the mail is stored (pure, never raises)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser, HeaderParser
from email.policy import compat32
from email.utils import getaddresses

from mail_gateway.mail.charsets import decode_header_value

MAX_MESSAGE_ID = 500  # longer ids are not indexed (PostgreSQL btree entries are bounded)
MAX_SUBJECT = 1000


@dataclass(frozen=True)
class HeaderPeek:
    message_id: str | None = None
    from_email: str | None = None
    subject: str = ""


def message_ids(raw: str | None) -> list[str]:
    """The ids in a Message-ID / In-Reply-To / References value, angle brackets removed."""
    if not raw:
        return []
    value = re.sub(r"\s+", " ", raw)
    ids = re.findall(r"<([^<>\s]+)>", value) or [tok for tok in value.split() if "@" in tok]
    return [i.strip("<>") for i in ids]


def peek_headers(raw: bytes) -> HeaderPeek:
    """Message-ID, sender address and subject, as far as they can be read."""
    blank = [i for i in (raw.find(b"\n\n"), raw.find(b"\n\r\n")) if i >= 0]
    head = raw[: min(blank) + 1] if blank else raw  # the header block: the body is never read
    try:
        try:  # RFC 6532 (SMTPUTF8): header fields may be UTF-8; other 8-bit bytes are read as before
            headers = HeaderParser(policy=compat32).parsestr(head.decode("utf-8"))
        except UnicodeDecodeError:
            headers = BytesHeaderParser(policy=compat32).parsebytes(head)
        mid = next(iter(message_ids(str(headers.get("message-id", "")))), None)
        if mid is not None and len(mid) > MAX_MESSAGE_ID:
            mid = None
        pairs = getaddresses([str(v) for v in headers.get_all("from", [])])
        sender = next((addr.strip().lower() for _, addr in pairs if "@" in addr), None)
        subject = decode_header_value(str(headers.get("subject", "")))[:MAX_SUBJECT]
    except Exception:  # the header peek is a convenience: the worker parses the mail properly
        return HeaderPeek()
    return HeaderPeek(message_id=mid, from_email=sender[:320] if sender else None, subject=subject)
