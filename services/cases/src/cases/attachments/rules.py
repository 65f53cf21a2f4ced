"""Rules of attachments (B6): size limit and stored file names. Pure, no I/O."""

from __future__ import annotations

import re
import unicodedata

from contracts.errors import PAYLOAD_TOO_LARGE, DomainError, ValidationFailed
from contracts.filenames import displayable

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def check_size(*, size: int, limit: int) -> None:
    if size > limit:
        raise DomainError(PAYLOAD_TOO_LARGE, f"the file is larger than {limit} bytes", {"size": size, "limit": limit})
    if size == 0:
        raise ValidationFailed(message="the file is empty", details={"size": 0})


def clean_filename(name: str) -> str:
    """A file name without paths, control or bidi characters (kept Unicode), never empty."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = displayable(_UNSAFE.sub("_", name)).strip(" .")
    return name[:255] or "attachment"


def clean_content_type(value: str | None) -> str:
    """A plain `type/subtype` (parameters dropped); anything odd becomes application/octet-stream."""
    base = (value or "").split(";", 1)[0].strip().lower()
    return base if _CONTENT_TYPE.match(base) else "application/octet-stream"
