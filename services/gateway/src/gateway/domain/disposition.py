"""A safe `Content-Disposition` for downloads (RFC 6266 with an RFC 5987 `filename*`). Pure."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from contracts.filenames import displayable

_NOT_TOKEN_SAFE = re.compile(r"[^A-Za-z0-9!#$&+.^_`|~ -]")


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """`attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded>`, never a header injection."""
    name = displayable(filename) or "download"
    fallback = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = _NOT_TOKEN_SAFE.sub("_", fallback).strip() or "download"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
