"""File names lose the characters that make them display as another name (bidi overrides above all)."""

from __future__ import annotations

import pytest

from contracts.case_work import AttachmentRead
from contracts.cases import AttachmentRef
from contracts.filenames import BIDI_CONTROLS, displayable


def test_a_right_to_left_override_no_longer_disguises_an_executable() -> None:
    disguised = "evil\u202etxt.exe"  # displayed as "evilexe.txt"
    assert displayable(disguised) == "eviltxt.exe"


@pytest.mark.parametrize("control", sorted(BIDI_CONTROLS))
def test_every_bidirectional_control_is_dropped(control: str) -> None:
    assert displayable(f"report{control}.pdf") == "report.pdf"


def test_letters_of_any_script_and_spaces_stay() -> None:
    assert displayable("Übersicht - תמונה 写真.pdf") == "Übersicht - תמונה 写真.pdf"
    assert displayable("line\r\nbreak\x00.txt") == "linebreak.txt"


def test_attachment_contracts_show_the_clean_name_even_for_rows_stored_before() -> None:
    ref = AttachmentRef.model_validate({"filename": "evil\u202etxt.exe", "sha256": "0" * 64})
    assert ref.filename == "eviltxt.exe"
    read = AttachmentRead.model_validate(
        {
            "id": 1,
            "case_id": 2,
            "filename": "a\u2066b\u2069.pdf",
            "content_type": "application/pdf",
            "size": 3,
            "sha256": "0" * 64,
            "created_at": "2026-12-07T10:00:00Z",
        }
    )
    assert read.filename == "ab.pdf"
