"""Signed identifiers we put into outgoing mail so replies can be threaded without guessing (E6).

Message-ID: `<hd.<case_id>.<message_id>.<nonce>.<sig>@<domain>>`; the signature is an HMAC of the
rest under HELPDESK_SECRET_KEY, so a forged or mangled id never threads a mail onto a case.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

_MSGID = re.compile(r"^hd\.(\d+)\.(\d+)\.([0-9a-f]{8})\.([0-9a-f]{16})@", re.IGNORECASE)


def _sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:16]


def make_message_id(*, case_id: int, message_id: int, secret: str, domain: str) -> str:
    """A new signed Message-ID (without angle brackets) for an outgoing mail of a case."""
    core = f"hd.{case_id}.{message_id}.{secrets.token_hex(4)}"
    return f"{core}.{_sign(secret, core)}@{domain}"


def case_id_from_message_id(message_id: str, *, secret: str) -> int | None:
    """The case a Message-ID of ours belongs to, or None if it is not ours or the signature is wrong."""
    m = _MSGID.match(message_id.strip().strip("<>"))
    if not m:
        return None
    core = f"hd.{m.group(1)}.{m.group(2)}.{m.group(3)}"
    if not hmac.compare_digest(_sign(secret, core), m.group(4).lower()):
        return None
    return int(m.group(1))
