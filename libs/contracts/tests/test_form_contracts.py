"""The form contracts: a case read with its form answers parses and documents itself (its annotations name
models declared in contracts.cases after CaseRead), and a definition's keys and sizes are bounded."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from test_cases_client import CASE

from contracts.forms import CaseDetail, FormFieldType, FormWrite


def test_a_case_detail_carries_its_form_answers_and_has_a_schema() -> None:
    form = {
        "form_id": 3,
        "form_name": "IT help",
        "submitted_at": "2026-12-07T10:00:00Z",
        "answers": [{"key": "apps", "label": "Apps", "type": "multi-select", "page": "One", "value": ["Mail"]}],
    }
    detail = CaseDetail.model_validate({**CASE, "form": form})
    assert detail.form is not None and detail.form.answers[0].value == ["Mail"]
    assert detail.form.answers[0].type is FormFieldType.MULTI_SELECT
    assert CaseDetail.model_validate(CASE).form is None
    assert "form" in CaseDetail.model_json_schema()["properties"]


@pytest.mark.parametrize(
    "pages",
    [
        [],
        [{"title": "One", "fields": []}],
        [{"title": "One", "fields": [{"key": "Bad Key", "label": "A", "type": "text"}]}],
        [{"title": "One", "fields": [{"key": "a", "label": "A", "type": "colour"}]}],
        [{"title": "One", "fields": [{"key": "a", "label": "A", "type": "text", "surprise": 1}]}],
    ],
)
def test_a_malformed_definition_does_not_parse(pages: list[object]) -> None:
    with pytest.raises(ValidationError):
        FormWrite.model_validate({"name": "X", "pages": pages})
