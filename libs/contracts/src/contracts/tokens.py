"""Signed identifiers we put into outgoing mail so replies can be threaded without guessing (E6).

Message-ID: `<hd.<case_id>.<message_id>.<nonce>.<sig>@<domain>>`; the signature is an HMAC of the
rest under HELPDESK_SECRET_KEY, so a forged or mangled id never threads a mail onto a case.

These formats are part of the contract between services (notifications writes them, mail-gateway and
the portal read them), so they live here, next to the other contracts, with the standard library only.
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


# -- signed plus-address and subject token (E6 rules 2 and 3) ----------------------------------
# Each kind of token signs under its own label, so a signature taken from one place cannot be
# replayed in another (a subject token is no valid plus-address, and neither is a Message-ID).

_PLUS = re.compile(r"^c(\d+)-([0-9a-f]{16})$", re.IGNORECASE)
_SUBJECT = re.compile(r"\[#(\d+)-([0-9a-f]{12})\]", re.IGNORECASE)


def make_reply_address(*, address: str, case_id: int, secret: str) -> str:
    """`support@x` -> `support+c<case_id>-<sig>@x`: a reply-to address that names its case."""
    local, _, domain = address.partition("@")
    local = local.split("+", 1)[0]
    return f"{local}+c{case_id}-{_sign(secret, f'plus:{case_id}')}@{domain}"


def case_id_from_address(address: str, *, secret: str) -> int | None:
    """The case a signed plus-address names, or None (no tag, not ours, wrong signature)."""
    local = address.strip().strip("<>").rpartition("@")[0]
    _, plus, tag = local.partition("+")
    m = _PLUS.match(tag) if plus else None
    if not m:
        return None
    if not hmac.compare_digest(_sign(secret, f"plus:{m.group(1)}"), m.group(2).lower()):
        return None
    return int(m.group(1))


def make_subject_token(*, number: int, secret: str) -> str:
    """`[#<number>-<sig>]` for the subject of outgoing mail of case number `number`."""
    return f"[#{number}-{_sign(secret, f'subject:{number}')[:12]}]"


def case_number_from_subject(subject: str, *, secret: str) -> int | None:
    """The case number of the first correctly signed subject token, or None."""
    for m in _SUBJECT.finditer(subject or ""):
        if hmac.compare_digest(_sign(secret, f"subject:{m.group(1)}")[:12], m.group(2).lower()):
            return int(m.group(1))
    return None


# -- signed case link (D5): opens one case of one contact in the portal until it expires ---------
# `<case_id>.<contact_id>.<expires_epoch>.<sig>`; signed under its own label like the tokens above,
# with HELPDESK_SECRET_KEY, by notifications (who mails it) and checked by the portal (who honours it).

_CASE_LINK = re.compile(r"^(\d{1,18})\.(\d{1,18})\.(\d{1,12})\.([0-9a-f]{32})$")


class CaseLinkRefused(ValueError):
    """A case link that is not ours, was altered, or has expired (`reason`: "invalid" or "expired")."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"case link {reason}")
        self.reason = reason


def _case_link_sig(secret: str, core: str) -> str:
    return hmac.new(secret.encode(), f"caselink:{core}".encode(), hashlib.sha256).hexdigest()[:32]


def make_case_link_token(*, case_id: int, contact_id: int, expires_at: int, secret: str) -> str:
    """A token naming one case of one contact, valid until the Unix time `expires_at`."""
    core = f"{case_id}.{contact_id}.{expires_at}"
    return f"{core}.{_case_link_sig(secret, core)}"


def read_case_link_token(token: str, *, secret: str, now: float) -> tuple[int, int]:
    """(case_id, contact_id) of a valid token; `CaseLinkRefused` otherwise (the expiry instant is too late)."""
    m = _CASE_LINK.match(token.strip())
    if not m:
        raise CaseLinkRefused("invalid")
    core = f"{m.group(1)}.{m.group(2)}.{m.group(3)}"
    if not hmac.compare_digest(_case_link_sig(secret, core), m.group(4)):
        raise CaseLinkRefused("invalid")
    if now >= int(m.group(3)):
        raise CaseLinkRefused("expired")
    return int(m.group(1)), int(m.group(2))
