"""Rules of the portal capability: which logos we store; pure (colours: contracts.portal)."""

from __future__ import annotations

from contracts.portal import LOGO_MAX_BYTES, LOGO_TYPES

# the first bytes of each image type we take: a declared type must match what the file is
_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/webp": (b"RIFF",),
}


def logo_problem(content_type: str, data: bytes) -> tuple[str, str] | None:
    """(error code, message) when the logo may not be stored, else None."""
    if len(data) > LOGO_MAX_BYTES:
        return "payload_too_large", f"The logo is too large: at most {LOGO_MAX_BYTES // 1024} KB."
    if not data:
        return "validation_error", "The logo file is empty."
    kind = content_type.split(";")[0].strip().lower()
    if kind not in LOGO_TYPES:
        return "unsupported_media_type", "The logo must be a PNG, JPEG or WebP image."
    if not data.startswith(_MAGIC[kind]) or (kind == "image/webp" and data[8:12] != b"WEBP"):
        return "unsupported_media_type", f"The file is not a {kind.split('/')[1].upper()} image."
    return None


def scope_of(organisation_id: int | None) -> str:
    return "default" if organisation_id is None else f"org:{organisation_id}"
