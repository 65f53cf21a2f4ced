"""Branding's written values: colours as #rrggbb, an accent white text stays readable on, a header whose text
turns white or dark by contrast."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from contracts.portal import BrandingWrite, contrast, header_ink


def test_colours_are_hex_and_lower_cased_and_empty_means_the_default() -> None:
    written = BrandingWrite(accent_colour="#0B5CAD", header_colour="")
    assert written.accent_colour == "#0b5cad" and written.header_colour is None
    for bad in ("red", "#fff", "#12345g", "0b5cad"):
        with pytest.raises(ValidationError):
            BrandingWrite(accent_colour=bad)


def test_a_pale_accent_is_refused_because_buttons_carry_white_text() -> None:
    with pytest.raises(ValidationError, match="hard to read"):
        BrandingWrite(accent_colour="#ffd400")
    assert BrandingWrite(accent_colour="#5a2d82").accent_colour == "#5a2d82"


def test_contrast_and_header_ink() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#777777") == pytest.approx(1)
    assert header_ink("#102040") == "#ffffff"
    assert header_ink("#f4f6f9") == "#1c2430"


def test_unknown_fields_and_overlong_texts_are_refused() -> None:
    with pytest.raises(ValidationError):
        BrandingWrite.model_validate({"title": "x", "css": "body{}"})
    with pytest.raises(ValidationError):
        BrandingWrite(title="x" * 81)
