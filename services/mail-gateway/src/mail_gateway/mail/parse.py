"""Turn raw RFC 5322 bytes into a ParsedMail: headers, bodies and attachments. Never raises."""

from __future__ import annotations

import contextlib
import email
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from mail_gateway.mail import nesting
from mail_gateway.mail.charsets import codec_for, decode_header_value, guess_decode, recover_8bit
from mail_gateway.mail.parsed import CLASSIFICATION_HEADERS, Address, ParsedMail
from mail_gateway.mail.parts import Collector, raw_header, raw_headers, walk
from mail_gateway.mail.sanitize import sanitize_html


def _addresses(raw_values: list[str], hints: Sequence[str] = (), allow_local: bool = False) -> list[Address]:
    """Parse address headers. Encoded-words are decoded in display names only, never in the
    address itself: decoding them there lets a sender spoof another address."""
    result: list[Address] = []
    unfolded = [recover_8bit(re.sub(r"\r?\n(?=[ \t])", " ", v), hints) for v in raw_values]
    try:
        pairs = getaddresses(unfolded)
    except Exception:  # getaddresses variants differ in strictness across patch releases
        pairs = []
    for name, addr in pairs:
        addr = addr.strip().strip("<>").strip()
        if not addr or ("@" not in addr and not (allow_local and re.fullmatch(r"[\w.-]+", addr))):
            continue
        result.append(Address(email=addr.lower(), name=decode_header_value(name, hints)))
    if not result:
        # Last resort for mangled headers: any bare address-looking token.
        for value in unfolded:
            for addr in re.findall(r"[\w.+'=-]+@[\w.-]+\w", value):
                result.append(Address(email=addr.lower()))
    return result


def _message_ids(raw: str | None) -> list[str]:
    if not raw:
        return []
    value = re.sub(r"\s+", " ", raw)
    ids = re.findall(r"<([^<>\s]+)>", value)
    if not ids:
        ids = [tok for tok in value.split() if "@" in tok]
    return [i.strip("<>") for i in ids]


def _parse_date(raw: str | None, defects: list[str]) -> datetime | None:
    if not raw:
        return None
    value = re.sub(r"\s+", " ", raw).strip()
    candidates = [value, re.split(r"\s(?=[A-Z][\w-]*:)", value)[0]]  # header run-on (mail107)
    for candidate in candidates:
        try:
            parsed = parsedate_to_datetime(candidate)
        except (TypeError, ValueError, IndexError):
            continue
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed
    defects.append("header:date:unparseable")
    return None


def parse_message(raw: bytes) -> ParsedMail:
    """Parse raw message bytes; whatever cannot be read is reported in ``defects``.

    A mail nested deeper than `nesting.MAX_DEPTH` is not parsed: only its header block is read, and its
    defects say `nesting.TOO_DEEP` (the worker quarantines it, decision 0216).
    """
    if nesting.depth(raw) > nesting.MAX_DEPTH:
        return _fallback(_header_block(raw), nesting.TOO_DEEP)
    try:
        return _parse(raw)
    except RecursionError:  # deeper than the parser copes with, in a way the line count did not see
        return _fallback(_header_block(raw), nesting.TOO_DEEP)
    except Exception as exc:  # a broken message must still become a case
        return _fallback(raw, f"parse:{type(exc).__name__}")


def _header_block(raw: bytes) -> bytes:
    return re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0] + b"\r\n\r\n"


_HEADER_LINE = re.compile(rb"^(?:From |[!-9;-~]+:|[ \t])")


def _repair_headers(raw: bytes, defects: list[str]) -> bytes:
    """Fix header blocks that break the email package: leading junk, unindented continuations."""
    match = re.search(rb"\r?\n\r?\n", raw)
    if match is None:
        return raw
    lines = raw[: match.start()].split(b"\n")
    bad = [i for i, line in enumerate(lines) if not _HEADER_LINE.match(line)]
    if not bad:
        return raw
    last_header = max((i for i, line in enumerate(lines) if _HEADER_LINE.match(line)), default=-1)
    first_header = next((i for i, line in enumerate(lines) if _HEADER_LINE.match(line)), 0)
    repaired: list[bytes] = []
    for i, line in enumerate(lines):
        if i < first_header:
            defects.append("header:leading-garbage")
            continue
        if i in bad and i < last_header:
            defects.append("header:unindented-continuation")
            line = b" " + line
        repaired.append(line)
    return b"\n".join(repaired) + raw[match.start() :]


def _parse(raw: bytes) -> ParsedMail:
    defects: list[str] = []
    raw = _repair_headers(raw, defects)
    message = email.message_from_bytes(raw, policy=policy.default)
    hints = _charset_hints(message)
    collector = Collector(hints=hints)
    try:
        walk(message, collector)
    except Exception as exc:
        # policy.default trips over some malformed MIME structures; compat32 is more lenient.
        defects.append(f"body:{type(exc).__name__}")
        collector = Collector(hints=hints)
        walk(email.message_from_bytes(raw, policy=policy.compat32), collector)
    defects.extend(collector.defects)

    from_address = _first_address(message, defects, hints)
    subject_raw = raw_header(message, "subject")
    headers = {}
    for name in CLASSIFICATION_HEADERS:
        value = raw_header(message, name)
        if value is not None:
            headers[name] = decode_header_value(value, hints)

    segments = collector.segments
    text_body = "\n\n".join(t.strip("\n") for t in (s.as_text() for s in segments) if t.strip())
    has_html = any(s.html is not None for s in segments)
    html_body = sanitize_html("\n".join(s.as_html() for s in segments)) if has_html else None

    return ParsedMail(
        message_id=next(iter(_message_ids(raw_header(message, "message-id"))), None),
        in_reply_to=_message_ids(raw_header(message, "in-reply-to")),
        references=_message_ids(" ".join(raw_headers(message, "references"))),
        subject=decode_header_value(subject_raw, hints) if subject_raw else "",
        from_address=from_address,
        to=_addresses(raw_headers(message, "to"), hints),
        cc=_addresses(raw_headers(message, "cc"), hints),
        reply_to=_addresses(raw_headers(message, "reply-to"), hints),
        date=_parse_date(raw_header(message, "date"), defects),
        text_body=text_body,
        html_body=html_body,
        attachments=collector.attachments,
        headers=headers,
        defects=list(dict.fromkeys(defects)),
    )


def _charset_hints(message: Message) -> tuple[str, ...]:
    """Charsets the message declares anywhere, used to read raw 8-bit header bytes."""
    found: list[str] = []
    with contextlib.suppress(Exception):  # a hint is optional; broken structure just gives none
        for part in message.walk():
            charset = part.get_param("charset")
            if isinstance(charset, str) and codec_for(charset) is not None:
                found.append(charset)
    return tuple(dict.fromkeys(found))


def _first_address(message: Message, defects: list[str], hints: Sequence[str]) -> Address | None:
    for name in ("from", "sender", "reply-to", "return-path"):
        found = _addresses(raw_headers(message, name), hints, allow_local=name == "from")
        if found:
            if name != "from":
                defects.append(f"header:from:missing:used-{name}")
            return found[0]
    defects.append("header:from:missing")
    return None


def _fallback(raw: bytes, defect: str) -> ParsedMail:
    """Read what we can from the raw header block when the email package gave up."""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    fields: dict[str, str] = {}
    for match in re.finditer(rb"^([!-9;-~]+):[ \t]*(.*(?:\n[ \t].*)*)", head, re.M):
        key = match.group(1).decode("ascii").lower()
        fields.setdefault(key, match.group(2).decode("utf-8", "surrogateescape"))
    from_values = [fields["from"]] if "from" in fields else []
    addresses = _addresses(from_values)
    return ParsedMail(
        message_id=next(iter(_message_ids(fields.get("message-id"))), None),
        subject=decode_header_value(fields.get("subject", "")),
        from_address=addresses[0] if addresses else None,
        text_body=guess_decode(body),
        headers={k: decode_header_value(v) for k, v in fields.items() if k in CLASSIFICATION_HEADERS},
        defects=[defect],
    )
