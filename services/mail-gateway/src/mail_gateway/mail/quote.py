"""Split a plain-text reply into the new text and the quoted history (signature included).

Each line gets a type: e(mpty), d(elimiter), s(ignature), b (start of an embedded mail such
as "On ... wrote:"), h (header line such as "From: ..."), q(uote) or t(ext). The reply is cut
at the first line after some text that starts the trailing material.
"""

from __future__ import annotations

import re

_VERBS = (
    r"wrote|writes|schrieb|a écrit|skrev|escribió|escreveu|scrisse|ha scritto|schreef|"
    r"heeft geschreven|napisał|napisała|написал|написала|написав|пише|пишет|kirjoitti|írta|"
    r"yazdı|έγραψε|kirjutas|rakstīja|rašė|napsal|napísal|je napisal|写道|寫道"  # noqa: RUF001
)
# "On <date>, <name> wrote:" and its translations, ending with a colon.
_WROTE_COLON = re.compile(rf"(?:{_VERBS}).{{0,250}}[:：]\s*$|(?:{_VERBS})\s*[:：]", re.I)  # noqa: RUF001
# Without the colon ("Den 1. jan. 2020 kl. 10:00 skrev Ola <ola@example.no>") we also want a
# typical opening word and a date, so that "I wrote something" stays text.
_WROTE_END = re.compile(rf"(?:{_VERBS})(?:\s+\S.*)?$", re.I)
_ON_WROTE_START = re.compile(
    r"^(on|am|le|den|d\.|el|il|op|em|w dniu|dnia|в|у|på|dne|ar|à|at|kl\.|\d)\b",  # noqa: RUF001
    re.I,
)
_DATE_FIRST = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\b")


def _is_on_wrote(line: str) -> bool:
    text = line.strip().strip("-").strip()
    if not text or len(text) > 300:
        return False
    if _WROTE_COLON.search(text):
        return bool(_ON_WROTE_START.match(text) or re.search(r"\d|@|<", text))
    if _WROTE_END.search(text):
        return bool(_ON_WROTE_START.match(text) and re.search(r"\d", text))
    # Gmail: "2016-03-03 17:21 GMT+01:00 Some One <some.one@example.com>:"
    return bool(_DATE_FIRST.match(text) and re.search(r"\d:\d\d|@|<|:$", text[10:]))


_ORIGINAL_MESSAGE = re.compile(
    r"^\s*[-_=*]*\s*(original message|ursprüngliche nachricht|opprinnelig melding|"
    r"oprindelig meddelelse|ursprungligt meddelande|originalmeddelande|message d'origine|"
    r"message original|mensaje original|messaggio originale|oorspronkelijk bericht|"
    r"forwarded message|weitergeleitete nachricht|videresendt melding|vidarebefordrat meddelande|"
    r"message transféré|mensaje reenviado|begin forwarded message|anfang der weitergeleiteten"
    r")\s*:?\s*[-_=*]*\s*$",
    re.I,
)
_HEADER_NAMES = (
    r"from|von|de|fra|från|van|od|от|від|da|sent|date|datum|dato|skickat|sendt|gesendet|"
    r"envoyé|enviado|inviato|verzonden|wysłano|to|an|à|til|till|aan|para|a|do|кому|"
    r"subject|betreff|objet|emne|ämne|onderwerp|asunto|oggetto|assunto|temat|тема|"
    r"cc|kopie|kopia|reply-to|antwort an|svar till"
)
_HEADER = re.compile(rf"^\s*\*?\s*({_HEADER_NAMES})\s*\*?\s*:\s*\*?\s*\S", re.I)
_FROM_HEADER = re.compile(r"^\s*\*?\s*(from|von|de|fra|från|van|od|от|від|da)\s*\*?\s*:", re.I)
_DELIMITER = re.compile(r"^\s*([-_=*#~+]{2,}|--\s?)\s*$|^\s*ᐧ\s*$")
_SIGNATURE = re.compile(
    r"^\s*[(<\[]*\s*("
    r"sent (from|via|with|using|by)\b|sent from my|envoyé (depuis|de) mon|"
    r"von meinem .* gesendet|gesendet von meinem|diese nachricht wurde von meinem|"
    r"verzonden (met|vanaf|van)|sendt fra min|skickat från min|skickades från|"
    r"enviado (desde|de) mi|inviato da|wysłane z|отправлено с|надіслано з|"  # noqa: RUF001
    r"get outlook for|從我的|从我的|from my (iphone|ipad|android|mobile|samsung)|"
    r"\S+ from mobile$"
    r")",
    re.I,
)


def _line_type(line: str) -> str:
    stripped = line.strip()
    if not stripped:
        return "e"
    if stripped.startswith(">"):
        # A quoted "On ... wrote:" starts an embedded mail just like an unquoted one.
        return "b" if _is_on_wrote(stripped.lstrip("> ")) else "q"
    if _DELIMITER.match(stripped):
        return "d"
    if _ORIGINAL_MESSAGE.match(stripped) or _is_on_wrote(stripped):
        return "b"
    if _SIGNATURE.match(stripped) and len(stripped) < 120:
        return "s"
    if _HEADER.match(stripped):
        return "h"
    return "t"


def _types(lines: list[str]) -> list[str]:
    types: list[str] = []
    in_code = False
    for line in lines:
        if line.strip().startswith("```"):
            in_code = not in_code
            types.append("t")
            continue
        types.append("t" if in_code else _line_type(line))
    # "On <date>, <name>\n<email> wrote:" is often wrapped over several lines.
    for i in range(len(lines)):
        if types[i] != "t" or not _may_start_wrapped_header(lines[i]):
            continue
        for span in range(2, 7):
            if i + span > len(lines):
                break
            window = lines[i : i + span]
            last_is_header = types[i + span - 1] == "b"
            if last_is_header and any(not line.strip() for line in window):
                break  # a complete header further down; do not swallow the text above it
            joined = " ".join(line.strip().lstrip(">").strip() for line in window)
            if _is_on_wrote(joined) and _is_on_wrote_ending(window[-1]):
                types[i : i + span] = ["b"] * span
                break
            if last_is_header:
                break
    return types


def _may_start_wrapped_header(line: str) -> bool:
    text = line.strip().lstrip(">").strip().strip("-").strip()
    if not text:
        return False
    if "@" in text or "<" in text:
        return True
    return text[-1] not in ".!?" and bool(_ON_WROTE_START.match(text) or _DATE_FIRST.match(text))


def _is_on_wrote_ending(line: str) -> bool:
    """The last line of a wrapped header must itself end like one (verb and/or colon)."""
    text = line.strip()
    return text.endswith((":", "："))  # noqa: RUF001 or bool(_WROTE_END.search(text))


def _is_header_block(types: list[str], lines: list[str], start: int) -> bool:
    if not _FROM_HEADER.match(lines[start]):
        return False
    following = [t for t in types[start + 1 : start + 6] if t != "e"][:3]
    return following.count("h") >= 1


def split_reply(text: str) -> tuple[str, str]:
    """Return (new text, quoted history) for a plain-text email body."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n")
    return _split(lines)


def _split(lines: list[str]) -> tuple[str, str]:
    types = _types(lines)
    first = next((i for i, kind in enumerate(types) if kind != "e"), None)
    if first is not None and types[first] == "b":
        # Bottom posting: "On ... wrote:" and the quote first, the new text below it.
        start = _after_embedded(types, first)
        if start is None:
            return "", _join(lines)
        new, quoted = _split(lines[start:])
        return new, _join(lines[:start]) + ("\n\n" + quoted if quoted else "")
    cut = _find_cut(types, lines)
    if cut is None:
        return _join(lines), ""
    new, quoted = _join(lines[:cut]), _join(lines[cut:])
    return (new, quoted) if new else (quoted, "")


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _after_embedded(types: list[str], start: int) -> int | None:
    """Index of the first line of new text after a leading embedded header + quote."""
    i = start
    while i < len(types):
        kind = types[i]
        continuation = kind == "t" and i > 0 and types[i - 1] == "h"
        if kind in ("b", "h", "e", "q") or continuation:
            if continuation:
                types[i] = "h"
            i += 1
            continue
        return i if kind == "t" else None
    return None


def _find_cut(types: list[str], lines: list[str]) -> int | None:
    seen_text = False
    for i, kind in enumerate(types):
        if kind == "t" or (kind == "h" and not _is_header_block(types, lines, i)):
            seen_text = True
            continue
        if kind == "e" or not seen_text:
            continue
        if kind == "q" and "t" in types[i:]:
            continue  # an inline quote with an answer below it stays in place
        return i
    return None
