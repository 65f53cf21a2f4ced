"""Turn raw RFC 5322 bytes into a ParsedMail: headers, bodies and attachments. Never raises."""

from __future__ import annotations

import binascii
import codecs
import contextlib
import email
import email.utils
import html as html_lib
import mimetypes
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from mail_gateway.mail.sanitize import html_to_text, sanitize_html


@dataclass(frozen=True)
class Address:
    email: str
    name: str = ""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None
    inline: bool = False


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_address: Address | None = None
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    date: datetime | None = None
    text_body: str = ""
    html_body: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    defects: list[str] = field(default_factory=list)


# Headers kept verbatim (decoded) for classification and threading decisions.
CLASSIFICATION_HEADERS = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "precedence",
    "x-precedence",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "list-post",
    "return-path",
    "content-type",
    "x-failed-recipients",
    "x-loop",
    "sender",
    "x-mailer",
)

# --- charsets -----------------------------------------------------------------------------

# Labels that real mail uses but Python does not know, or knows as a narrower charset.
_CHARSET_ALIASES = {
    "unicode-1-1-utf-7": "utf-7",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "euc-kr": "cp949",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cn-gb": "gb18030",
    "big5": "big5hkscs",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "iso-8859-1": "cp1252",  # browsers and mailers treat Latin-1 labels as windows-1252
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "utf8": "utf-8",
    "x-mac-roman": "mac-roman",
}
_UNLABELLED = {"", "us-ascii", "ascii", "x-unknown", "unknown", "unknown-8bit", "default", "charset"}


def _codec_for(charset: str | None) -> str | None:
    """Return a Python codec name for a MIME charset label, or None when unknown/unlabelled."""
    label = (charset or "").strip().strip("\"'").lower()
    if label in _UNLABELLED:
        return None
    label = _CHARSET_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


# Japanese mailers label Shift_JIS bytes as ISO-2022-JP; try these before giving up.
_RELATED_CODECS = {
    "iso2022_jp_ext": ("cp932", "euc_jp"),
    "iso2022_jp": ("cp932", "euc_jp"),
    "euc_jp": ("cp932",),
    "cp932": ("euc_jp",),
}
_MULTIBYTE_CODECS = frozenset(
    {"gb18030", "big5hkscs", "cp932", "euc_jp", "cp949", "iso2022_jp_ext", "iso2022_jp", "utf-7"}
)


def _candidate_codecs(hints: Sequence[str]) -> list[str]:
    """UTF-8 first, then multibyte hints (they fail loudly on wrong input), then single-byte."""
    codecs_: list[str] = ["utf-8"]
    for hint in hints:
        codec = _codec_for(hint)
        if codec is not None:
            codecs_ += [codec, *_RELATED_CODECS.get(codec, ())]
    multibyte = [c for c in codecs_ if c in _MULTIBYTE_CODECS or c == "utf-8"]
    single = [c for c in codecs_ if c not in multibyte]
    return list(dict.fromkeys([*multibyte, *single, "cp1252"]))


def guess_decode(data: bytes, hints: Sequence[str] = ()) -> str:
    """Decode unlabelled bytes: UTF-8 if valid, else a hinted charset, else windows-1252."""
    for codec in _candidate_codecs(hints):
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode bytes with the declared charset, falling back sensibly for bogus labels."""
    codec = _codec_for(charset)
    if codec is None:
        return guess_decode(data)
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        pass
    if codec.startswith("iso2022_jp") and b"\x1b" in data and data.isascii():
        return _decode_iso2022jp_via_cp932(data)
    for candidate in (*_RELATED_CODECS.get(codec, ()), "utf-8"):
        try:
            return data.decode(candidate)
        except UnicodeDecodeError:
            continue
    if codec == "utf-8":  # mostly UTF-8 with a few stray windows-1252 bytes (mail021)
        return data.decode("utf-8", errors=_CP1252_FALLBACK)
    return data.decode(codec, errors="replace")


_CP1252_FALLBACK = "mail_gateway.cp1252-fallback"


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bytes(bad).decode("cp1252", errors="replace"), error.end


codecs.register_error(_CP1252_FALLBACK, _cp1252_fallback)


def _decode_iso2022jp_via_cp932(data: bytes) -> str:
    """ISO-2022-JP with NEC/IBM extensions (CP50220, e.g. circled digits), which Python's
    iso2022 codecs reject: map each JIS X 0208 pair to Shift_JIS and decode as cp932."""
    out = bytearray()
    mode = "ascii"
    i = 0
    while i < len(data):
        if data[i] == 0x1B:
            seq = data[i + 1 : i + 3]
            if seq in (b"$B", b"$@"):
                mode = "kanji"
            elif seq == b"(I":
                mode = "kana"
            else:
                mode = "ascii"
            i += 3
            continue
        byte = data[i]
        if mode == "kanji" and 0x21 <= byte <= 0x7E and i + 1 < len(data):
            j1, j2 = byte, data[i + 1]
            s1 = ((j1 - 0x21) >> 1) + 0x81
            s1 += 0x40 if s1 > 0x9F else 0
            s2 = j2 + 0x7E  # even lead byte: second half of the Shift_JIS row
            if j1 % 2:
                s2 = j2 + 0x1F + (1 if j2 + 0x1F >= 0x7F else 0)
            out += bytes((s1, s2 & 0xFF))
            i += 2
            continue
        out.append(byte + 0x80 if mode == "kana" and 0x21 <= byte <= 0x5F else byte)
        i += 1
    return out.decode("cp932", errors="replace")


def _recover_8bit(value: str, hints: Sequence[str] = ()) -> str:
    """Headers parsed from bytes hold raw 8-bit as surrogates; decode them properly."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return guess_decode(value.encode("utf-8", "surrogateescape"), hints)


# --- headers --------------------------------------------------------------------------------

# Lenient: real mailers put spaces inside encoded-words (mail050), which RFC 2047 forbids.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?(.*?)\?=")


def _decode_word(encoding: str, text: str) -> bytes:
    if encoding.lower() == "q":
        return binascii.a2b_qp(text.encode("ascii", "replace"), header=True)
    text = text.strip()
    text += "=" * (-len(text) % 4)
    try:
        return binascii.a2b_base64(text.encode("ascii", "replace"))
    except binascii.Error:
        return text.encode("ascii", "replace")


def decode_header_value(raw: str, hints: Sequence[str] = ()) -> str:
    """Unfold a raw header value and decode RFC 2047 encoded-words and unlabelled 8-bit.

    ``hints`` are charsets to try for raw 8-bit bytes (the charsets the body declares).
    """
    value = _recover_8bit(re.sub(r"\r?\n(?=[ \t])", "", raw), hints)
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    pos = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(decode_bytes(b"".join(pending), pending_charset))
        pending, pending_charset = [], None

    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        if between.strip() or pending_charset != charset.lower():
            flush()
            if between.strip() or not out:
                out.append(between)
        # Adjacent words of one charset are joined as bytes: multibyte characters may be split.
        pending.append(_decode_word(match.group(2), match.group(3)))
        pending_charset = charset.lower()
        pos = match.end()
    flush()
    out.append(value[pos:])
    return "".join(out).strip()


def _addresses(raw_values: list[str], hints: Sequence[str] = (), allow_local: bool = False) -> list[Address]:
    """Parse address headers. Encoded-words are decoded in display names only, never in the
    address itself: decoding them there lets a sender spoof another address."""
    result: list[Address] = []
    unfolded = [_recover_8bit(re.sub(r"\r?\n(?=[ \t])", " ", v), hints) for v in raw_values]
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


# --- body and attachments -------------------------------------------------------------------


@dataclass
class _Segment:
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
class _Collector:
    segments: list[_Segment] = field(default_factory=list)
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
    name = re.split(r"[\\/]", name)[-1].strip().replace("\x00", "")
    return name or None


def _payload_bytes(part: Message, collector: _Collector) -> bytes:
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


def _extract_uuencoded(text: str, collector: _Collector) -> str:
    """Move 'begin 644 name ... end' blocks out of a plain body into attachments."""

    def take(match: re.Match[str]) -> str:
        data = _uudecode_lines(match.group(2).splitlines())
        if data is None:
            return match.group(0)
        filename = match.group(1).strip()
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
        raw_subject = _raw_header(inner, "subject") if isinstance(inner, Message) else None
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


def _walk_alternative(parts: list[Message], collector: _Collector, depth: int) -> None:
    """Keep one rendering of the body: plain text from the plain part, HTML from the HTML one."""
    options: list[list[_Segment]] = []
    for sub in parts:
        before = len(collector.segments)
        _walk(sub, collector, depth + 1)
        options.append(collector.segments[before:])
        del collector.segments[before:]
    options = [segments for segments in options if segments]
    if not options:
        return
    plain = next((o for o in options if all(s.html is None for s in o)), options[0])
    rich = next((o for o in reversed(options) if any(s.html is not None for s in o)), None)
    text = "\n\n".join(s.as_text() for s in plain)
    html = "\n".join(s.as_html() for s in rich) if rich is not None else None
    collector.segments.append(_Segment(text=text, html=html))


def _walk(part: Message, collector: _Collector, depth: int = 0) -> None:
    for defect in getattr(part, "defects", []):
        collector.defects.append(type(defect).__name__)
    if depth > 50:
        collector.defects.append("structure:too-deep")
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
            _walk_alternative(subparts, collector, depth)
            return
        for sub in subparts:
            _walk(sub, collector, depth + 1)
        return
    filename = _safe_filename(part, collector.hints)
    data = _payload_bytes(part, collector)
    if content_type in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        text = _text_of(part, data)
        if content_type == "text/plain":
            collector.segments.append(_Segment(text=_extract_uuencoded(text, collector)))
        else:
            collector.segments.append(_Segment(html=text))
        return
    _add_attachment(part, content_type, data, disposition, collector, filename)


def _add_attachment(
    part: Message,
    content_type: str,
    data: bytes,
    disposition: str | None,
    collector: _Collector,
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


# --- entry point ----------------------------------------------------------------------------


def _raw_header(message: Message, name: str) -> str | None:
    for key, value in message.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def _raw_headers(message: Message, name: str) -> list[str]:
    return [str(v) for k, v in message.raw_items() if k.lower() == name]


def parse_message(raw: bytes) -> ParsedMail:
    """Parse raw message bytes; whatever cannot be read is reported in ``defects``."""
    try:
        return _parse(raw)
    except Exception as exc:  # a broken message must still become a case
        return _fallback(raw, f"parse:{type(exc).__name__}")


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
    collector = _Collector(hints=hints)
    try:
        _walk(message, collector)
    except Exception as exc:
        # policy.default trips over some malformed MIME structures; compat32 is more lenient.
        defects.append(f"body:{type(exc).__name__}")
        collector = _Collector(hints=hints)
        _walk(email.message_from_bytes(raw, policy=policy.compat32), collector)
    defects.extend(collector.defects)

    from_address = _first_address(message, defects, hints)
    subject_raw = _raw_header(message, "subject")
    headers = {}
    for name in CLASSIFICATION_HEADERS:
        value = _raw_header(message, name)
        if value is not None:
            headers[name] = decode_header_value(value, hints)

    segments = collector.segments
    text_body = "\n\n".join(t.strip("\n") for t in (s.as_text() for s in segments) if t.strip())
    has_html = any(s.html is not None for s in segments)
    html_body = sanitize_html("\n".join(s.as_html() for s in segments)) if has_html else None

    return ParsedMail(
        message_id=next(iter(_message_ids(_raw_header(message, "message-id"))), None),
        in_reply_to=_message_ids(_raw_header(message, "in-reply-to")),
        references=_message_ids(" ".join(_raw_headers(message, "references"))),
        subject=decode_header_value(subject_raw, hints) if subject_raw else "",
        from_address=from_address,
        to=_addresses(_raw_headers(message, "to"), hints),
        cc=_addresses(_raw_headers(message, "cc"), hints),
        reply_to=_addresses(_raw_headers(message, "reply-to"), hints),
        date=_parse_date(_raw_header(message, "date"), defects),
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
            if isinstance(charset, str) and _codec_for(charset) is not None:
                found.append(charset)
    return tuple(dict.fromkeys(found))


def _first_address(message: Message, defects: list[str], hints: Sequence[str]) -> Address | None:
    for name in ("from", "sender", "reply-to", "return-path"):
        found = _addresses(_raw_headers(message, name), hints, allow_local=name == "from")
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
