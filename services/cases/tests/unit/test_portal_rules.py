"""Which logos cases stores for the portal: PNG, JPEG or WebP that really are, at most 256 KB; never SVG."""

from __future__ import annotations

import pytest

from cases.portal.rules import logo_problem, scope_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 40


@pytest.mark.parametrize(("kind", "data"), [("image/png", PNG), ("image/jpeg", JPEG), ("image/webp", WEBP)])
def test_real_images_of_the_three_types_are_taken(kind: str, data: bytes) -> None:
    assert logo_problem(kind, data) is None
    assert logo_problem(kind.upper() + "; charset=x", data) is None


def test_other_types_and_disguised_files_are_refused_with_a_message() -> None:
    assert logo_problem("image/svg+xml", b"<svg onload=alert(1)/>") == (
        "unsupported_media_type",
        "The logo must be a PNG, JPEG or WebP image.",
    )
    assert logo_problem("image/png", JPEG)[0] == "unsupported_media_type"  # type: ignore[index]
    assert logo_problem("image/webp", b"RIFF\x00\x00\x00\x00WAVEfmt ")[0] == "unsupported_media_type"  # type: ignore[index]
    assert logo_problem("image/png", b"")[0] == "validation_error"  # type: ignore[index]


def test_a_logo_larger_than_256_kb_is_refused() -> None:
    assert logo_problem("image/png", PNG + b"\x00" * (256 * 1024))[0] == "payload_too_large"  # type: ignore[index]
    assert logo_problem("image/png", PNG + b"\x00" * (256 * 1024 - len(PNG))) is None


def test_one_scope_key_for_the_default_and_each_organisation() -> None:
    assert scope_of(None) == "default" and scope_of(7) == "org:7"
