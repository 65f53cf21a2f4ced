"""Content-Disposition of downloads: an ASCII fallback plus the exact name in filename* (RFC 6266)."""

from __future__ import annotations

from gateway.domain.disposition import content_disposition


def test_plain_name() -> None:
    assert content_disposition("report.pdf") == "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"


def test_unicode_quotes_and_header_injection_are_neutralised() -> None:
    value = content_disposition('Öl "kalt"\r\nSet-Cookie: x=1.txt')
    assert "\r" not in value and "\n" not in value
    assert value.split(";")[1] == ' filename="Ol _kalt_Set-Cookie_ x_1.txt"'
    assert "filename*=UTF-8''%C3%96l%20%22kalt%22Set-Cookie%3A%20x%3D1.txt" in value


def test_empty_and_inline() -> None:
    assert content_disposition("\x00").startswith('attachment; filename="download"')
    assert content_disposition("a.png", inline=True).startswith("inline;")
