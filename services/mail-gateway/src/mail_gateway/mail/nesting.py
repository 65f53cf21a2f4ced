"""How deep the parts of a raw mail nest, found by reading its lines before any MIME parser does. Pure.

Python's email parser recurses once per nesting level: a mail nested two thousand multipart levels deep
makes it fail (RecursionError), and before this rule the whole raw MIME became the text of a new case.
No mail program nests anywhere near `MAX_DEPTH` (a forwarded mail inside a forwarded mail is 4 or 5), so a
deeper mail is quarantined unread (decision 0216).
"""

from __future__ import annotations

import re

MAX_DEPTH = 50  # multipart and attached-message levels a mail may nest
TOO_DEEP = "structure:too-deep"  # the parse defect of a mail nested deeper than MAX_DEPTH

_BOUNDARY = re.compile(rb'boundary\s*=\s*(?:"([^"]*)"|([^\s;]+))', re.I)


def depth(raw: bytes, *, stop_above: int = MAX_DEPTH) -> int:
    """The deepest nesting of multipart and message/* parts in `raw`; counting stops past `stop_above`.

    A multipart level opens at its header block (Content-Type with a boundary) and closes at its closing
    delimiter (`--boundary--`) or when an enclosing part's delimiter comes first, as parsers read it; an
    attached message (message/*, not delivery-status) is a level whose own header block follows at once.
    """
    levels: list[bytes | None] = []  # boundaries of the open levels, outermost first; None: an attached message
    deepest = 0
    in_headers, content_type, in_content_type = True, b"", False
    for line in raw.splitlines():
        if in_headers:
            if line.strip():
                if line[:1] in b" \t":
                    content_type += line if in_content_type else b""
                    continue
                in_content_type = line[:13].lower() == b"content-type:"
                content_type = line[13:] if in_content_type else content_type
                continue
            in_headers = False
            level = _level(content_type)
            content_type, in_content_type = b"", False
            if level is not None:
                levels.append(level or None)
                in_headers = level == b""  # an attached message: its header block comes next
                deepest = max(deepest, len(levels))
                if deepest > stop_above:
                    return deepest
            continue
        if line[:2] == b"--" and levels:
            in_headers = _delimiter(levels, line[2:].rstrip())
    return deepest


def _level(content_type: bytes) -> bytes | None:
    """The boundary of a multipart, b"" for an attached message, None when the part opens no level."""
    kind = content_type.strip().split(b";", 1)[0].strip().lower()
    if kind.startswith(b"multipart/"):
        match = _BOUNDARY.search(content_type)
        return (match.group(1) or match.group(2)) if match and (match.group(1) or match.group(2)) else None
    if kind.startswith(b"message/") and kind != b"message/delivery-status":
        return b""
    return None


def _delimiter(levels: list[bytes | None], token: bytes) -> bool:
    """Close the levels a delimiter line ends; True when a new part (its header block) begins."""
    for index in range(len(levels) - 1, -1, -1):
        boundary = levels[index]
        if boundary is None:
            continue
        if token == boundary:
            del levels[index + 1 :]
            return True
        if token == boundary + b"--":
            del levels[index:]
            return False
    return False
