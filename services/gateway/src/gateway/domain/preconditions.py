"""HTTP preconditions on cases: ETag from the version, expected version from If-Match (B11)."""

from __future__ import annotations

from contracts import errors


def etag(version: int) -> str:
    """The strong ETag of a case version."""
    return f'"{version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version If-Match asks for; `*` means any version (None); missing => 428; garbage => 422."""
    if if_match is None or not if_match.strip():
        raise errors.DomainError(errors.PRECONDITION_REQUIRED, "If-Match header with the case version is required")
    value = if_match.strip()
    if value == "*":
        return None
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        message = 'If-Match must be a case version, e.g. "3"'
        raise errors.ValidationFailed(message=message, details={"if_match": if_match})
    return int(value)
