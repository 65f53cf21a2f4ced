"""Decoding of mail bytes and header words whatever charset they claim, or fail to claim."""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Sequence

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


def codec_for(charset: str | None) -> str | None:
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
        codec = codec_for(hint)
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
    codec = codec_for(charset)
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


def recover_8bit(value: str, hints: Sequence[str] = ()) -> str:
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
    value = recover_8bit(re.sub(r"\r?\n(?=[ \t])", "", raw), hints)
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
