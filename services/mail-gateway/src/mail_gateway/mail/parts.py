"""The body and attachments of a MIME message: one rendering of the body, every other part an attachment."""

from __future__ import annotations

import binascii
import contextlib
import email
import email.utils
import html as html_lib
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import Message

from contracts.filenames import displayable
from mail_gateway.mail import nesting
from mail_gateway.mail.charsets import decode_bytes, decode_header_value
from mail_gateway.mail.parsed import Attachment
from mail_gateway.mail.sanitize import html_to_text


@dataclass
class Segment:
    """One piece of body content, as plain text, as HTML, or both (multipart/alternative)."""

    text: str | None = None
    html: str | None = None

    def as_text(self) -> str:
        return self.text if self.text is not None else html_to_text(self.html or "")

    def as_html(self) -> str:
        if self.html is not None:
            return self.html
        escaped = html_lib.escape(self.text or "").replace("\n", "<br>\n")
        return f"<div>{escaped}</div>"


@dataclass
class Collector:
    segments: list[Segment] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    hints: tuple[str, ...] = ()  # charsets for raw 8-bit in headers and filenames


def _raw_filename(part: Message) -> str | None:
    """Filename from the raw headers, keeping raw 8-bit bytes (as surrogates) for us to decode.

    policy.default turns undeclared 8-bit filename bytes into U+FFFD, so use compat32 rules.
    """
    shell = Message(policy=policy.compat32)
    for key, value in part.raw_items():
        if key.lower() in ("content-disposition", "content-type"):
            shell[key] = str(value)
    name = shell.get_filename() or shell.get_param("name")
    if isinstance(name, tuple):  # RFC 2231 triple from get_param
        name = email.utils.collapse_rfc2231_value(name)
    return name if isinstance(name, str) else None


def _safe_filename(part: Message, hints: Sequence[str] = ()) -> str | None:
    name: str | None = None
    for getter in (_raw_filename, Message.get_filename):
        try:
            name = getter(part)
        except Exception:
            name = None
        if name:
            break
    if not name:
        return None
    # Outlook puts RFC 2047 words inside quoted filenames; the email package leaves them.
    name = decode_header_value(str(name), hints)
    name = displayable(re.split(r"[\\/]", name)[-1]).strip()
    return name or None


def _payload_bytes(part: Message, collector: Collector) -> bytes:
    cte = str(part.get("content-transfer-encoding", "")).strip().lower()
    try:
        data = part.get_payload(decode=True)
    except Exception as exc:
        collector.defects.append(f"payload:{type(exc).__name__}")
        data = None
    if not isinstance(data, bytes):
        raw = part.get_payload()
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    if cte in ("x-uuencode", "uuencode", "uue", "x-uue") and not data.startswith(b"begin"):
        decoded = _uudecode_lines(data.decode("latin-1").splitlines())
        if decoded is not None:
            data = decoded
    return data


def _uudecode_lines(lines: list[str]) -> bytes | None:
    out = bytearray()
    for line in lines:
        if line.startswith("begin ") or not line.strip():
            continue
        if line.strip() in ("end", "`"):
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            return None
    return bytes(out)


_UU_BLOCK = re.compile(r"^begin [0-7]{3,4} ([^\n]+)\n(.*?)^end[ \t]*$\n?", re.M | re.S)


def _extract_uuencoded(text: str, collector: Collector) -> str:
    """Move 'begin 644 name ... end' blocks out of a plain body into attachments."""

    def take(match: re.Match[str]) -> str:
        data = _uudecode_lines(match.group(2).splitlines())
        if data is None:
            return match.group(0)
        filename = displayable(match.group(1)).strip() or "attachment.bin"
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        collector.attachments.append(Attachment(filename, content_type, data))
        return ""

    if "begin " not in text:
        return text
    return _UU_BLOCK.sub(take, text)


def _text_of(part: Message, data: bytes) -> str:
    charset = part.get_content_charset()
    if charset is None and part.get_content_type() == "text/html":
        meta = re.search(rb"<meta[^>]+charset=[\"']?([\w.:-]+)", data[:4096], re.I)
        charset = meta.group(1).decode("ascii") if meta else None
    return decode_bytes(data, charset).replace("\r\n", "\n").replace("\r", "\n")


def _default_filename(part: Message, content_type: str, index: int, hints: Sequence[str] = ()) -> str:
    if content_type == "message/rfc822":
        inner = part.get_payload(0) if part.is_multipart() else None
        raw_subject = raw_header(inner, "subject") if isinstance(inner, Message) else None
        subject = decode_header_value(raw_subject, hints) if raw_subject else ""
        subject = re.sub(r"[\\/:*?\"<>|\r\n]+", " ", subject).strip()
        return f"{subject or 'message'}.eml"
    if content_type == "message/delivery-status":
        return "delivery-status.txt"
    if content_type == "text/rfc822-headers":
        return "rfc822-headers.txt"
    extension = mimetypes.guess_extension(content_type) or ".bin"
    return f"attachment-{index}{extension}"


def _message_part_bytes(part: Message) -> bytes:
    """Raw-ish bytes of a message/* part's body (the attached message or DSN fields)."""
    with contextlib.suppress(Exception):  # fall through to re-serialising the whole part
        payload = part.get_payload()
        if isinstance(payload, list):
            chunks = [sub.as_bytes(policy=policy.compat32) for sub in payload if isinstance(sub, Message)]
            return b"\n".join(chunks)
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
    text = part.as_bytes(policy=policy.compat32)
    return re.split(rb"\r?\n\r?\n", text, maxsplit=1)[-1]


def __walk_alternative(parts: list[Message], collector: Collector, depth: int) -> None:
    """Keep one rendering of the body: plain text from the plain part, HTML from the HTML one."""
    options: list[list[Segment]] = []
    for sub in parts:
        before = len(collector.segments)
        walk(sub, collector, depth + 1)
        options.append(collector.segments[before:])
        del collector.segments[before:]
    options = [segments for segments in options if segments]
    if not options:
        return
    plain = next((o for o in options if all(s.html is None for s in o)), options[0])
    rich = next((o for o in reversed(options) if any(s.html is not None for s in o)), None)
    text = "\n\n".join(s.as_text() for s in plain)
    html = "\n".join(s.as_html() for s in rich) if rich is not None else None
    collector.segments.append(Segment(text=text, html=html))


def walk(part: Message, collector: Collector, depth: int = 0) -> None:
    for defect in getattr(part, "defects", []):
        collector.defects.append(type(defect).__name__)
    if depth > nesting.MAX_DEPTH:
        collector.defects.append(nesting.TOO_DEEP)
        return
    content_type = part.get_content_type()
    disposition = part.get_content_disposition()
    if content_type.startswith("message/") or content_type == "text/rfc822-headers":
        _add_attachment(part, content_type, _message_part_bytes(part), disposition, collector)
        return
    if part.is_multipart():
        payload = part.get_payload()
        subparts = [sub for sub in payload if isinstance(sub, Message)] if isinstance(payload, list) else []
        if content_type == "multipart/alternative":
            __walk_alternative(subparts, collector, depth)
            return
        for sub in subparts:
            walk(sub, collector, depth + 1)
        return
    filename = _safe_filename(part, collector.hints)
    data = _payload_bytes(part, collector)
    if content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        text = _text_of(part, data)
        if content_type == "text/plain":
            collector.segments.append(Segment(text=_extract_uuencoded(text, collector)))
        else:
            collector.segments.append(Segment(html=text))
        return
    _add_attachment(part, content_type, data, disposition, collector, filename)


def _add_attachment(
    part: Message,
    content_type: str,
    data: bytes,
    disposition: str | None,
    collector: Collector,
    filename: str | None = None,
) -> None:
    filename = filename or _safe_filename(part, collector.hints)
    index = len(collector.attachments) + 1
    content_id = str(part.get("content-id", "")).strip().strip("<>").strip() or None
    inline = disposition == "inline" or (disposition is None and content_id is not None)
    collector.attachments.append(
        Attachment(
            filename=filename or _default_filename(part, content_type, index, collector.hints),
            content_type=content_type,
            data=data,
            content_id=content_id,
            inline=inline,
        )
    )


def raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def raw_headers(message: Message, name: str) -> list[str]:
    return [str(v) for k, v in message.raw_items() if k.lower() == name]
