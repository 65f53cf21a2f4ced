"""A quick look at a raw mail's header block, taken before the mail is stored (pure, never raises)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses

from mail_gateway.mail.parse import decode_header_value

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
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(raw)
        mid = next(iter(message_ids(str(headers.get("message-id", "")))), None)
        if mid is not None and len(mid) > MAX_MESSAGE_ID:
            mid = None
        pairs = getaddresses([str(v) for v in headers.get_all("from", [])])
        sender = next((addr.strip().lower() for _, addr in pairs if "@" in addr), None)
        subject = decode_header_value(str(headers.get("subject", "")))[:MAX_SUBJECT]
    except Exception:  # the header peek is a convenience: the worker parses the mail properly
        return HeaderPeek()
    return HeaderPeek(message_id=mid, from_email=sender[:320] if sender else None, subject=subject)
