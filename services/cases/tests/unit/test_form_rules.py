"""Department form definitions: each unsound part is refused with its code and path; answers map onto a case."""

from __future__ import annotations

from typing import Any

import pytest

from cases.config.rules import FieldDef
from cases.forms import rules
from contracts import errors
from contracts.case_config import CustomFieldType
from contracts.cases import Priority
from contracts.forms import FormAnswer, FormFieldType, FormWrite

TARGETS = rules.Targets(
    custom_fields={
        "asset_tag": FieldDef(key="asset_tag", type=CustomFieldType.TEXT),
        "floor": FieldDef(key="floor", type=CustomFieldType.NUMBER),
        "site": FieldDef(key="site", type=CustomFieldType.SELECT, options=["Oslo", "Bergen"]),
        "retired": FieldDef(key="retired", type=CustomFieldType.TEXT, used=False),
    },
    type_names=frozenset({"Fault", "Order"}),
)


def _form(*pages: list[dict[str, Any]], page_rules: dict[int, dict[str, Any]] | None = None) -> FormWrite:
    return FormWrite.model_validate(
        {
            "name": "IT",
            "pages": [
                {
                    "title": f"Page {i}",
                    "fields": fields,
                    **({"show_if": page_rules[i]} if page_rules and i in page_rules else {}),
                }
                for i, fields in enumerate(pages)
            ],
        }
    )


def _refused(form: FormWrite) -> errors.DomainError:
    with pytest.raises(errors.InvalidForm) as caught:
        rules.check_definition(form.pages, TARGETS)
    return caught.value


SOUND = _form(
    [
        {"key": "subject", "label": "Subject", "type": "text", "required": True, "maps_to": "title"},
        {"key": "device", "label": "Device", "type": "select", "options": ["Laptop", "Phone"]},
        {
            "key": "serial",
            "label": "Serial",
            "type": "text",
            "show_if": {"key": "device", "equals": "Laptop"},
            "maps_to": "custom_fields.asset_tag",
        },
    ],
    [
        {"key": "urgency", "label": "Urgency", "type": "select", "options": ["low", "high"], "maps_to": "priority"},
        {"key": "kind", "label": "Kind", "type": "select", "options": ["Fault"], "maps_to": "type"},
        {"key": "floor", "label": "Floor", "type": "number", "maps_to": "custom_fields.floor"},
        {"key": "details", "label": "Details", "type": "textarea", "maps_to": "description"},
        {"key": "photo", "label": "Photo", "type": "file"},
    ],
    page_rules={1: {"key": "device"}},
)


def test_a_sound_definition_passes() -> None:
    rules.check_definition(SOUND.pages, TARGETS)


@pytest.mark.parametrize(
    ("pages", "code", "path"),
    [
        # the same key twice, on one page or across pages
        (
            [[{"key": "a", "label": "A", "type": "text"}, {"key": "a", "label": "A2", "type": "text"}]],
            errors.FORM_DUPLICATE_KEY,
            "pages[0].fields[1].key",
        ),
        (
            [[{"key": "a", "label": "A", "type": "text"}], [{"key": "a", "label": "A", "type": "date"}]],
            errors.FORM_DUPLICATE_KEY,
            "pages[1].fields[0].key",
        ),
        # options: missing for a select, given for a text, listed twice
        ([[{"key": "a", "label": "A", "type": "select"}]], errors.FORM_OPTIONS_INVALID, "pages[0].fields[0].options"),
        (
            [[{"key": "a", "label": "A", "type": "multi-select"}]],
            errors.FORM_OPTIONS_INVALID,
            "pages[0].fields[0].options",
        ),
        (
            [[{"key": "a", "label": "A", "type": "text", "options": ["x"]}]],
            errors.FORM_OPTIONS_INVALID,
            "pages[0].fields[0].options",
        ),
        (
            [[{"key": "a", "label": "A", "type": "select", "options": ["x", "x"]}]],
            errors.FORM_OPTIONS_INVALID,
            "pages[0].fields[0].options[1]",
        ),
        # show_if: forward, itself, unknown, an option the select lacks, a file
        (
            [
                [
                    {"key": "a", "label": "A", "type": "text", "show_if": {"key": "b"}},
                    {"key": "b", "label": "B", "type": "text"},
                ]
            ],
            errors.FORM_SHOW_IF_INVALID,
            "pages[0].fields[0].show_if.key",
        ),
        (
            [[{"key": "a", "label": "A", "type": "text", "show_if": {"key": "a"}}]],
            errors.FORM_SHOW_IF_INVALID,
            "pages[0].fields[0].show_if.key",
        ),
        (
            [[{"key": "a", "label": "A", "type": "text", "show_if": {"key": "nope"}}]],
            errors.FORM_SHOW_IF_INVALID,
            "pages[0].fields[0].show_if.key",
        ),
        (
            [
                [
                    {"key": "a", "label": "A", "type": "select", "options": ["x"]},
                    {"key": "b", "label": "B", "type": "text", "show_if": {"key": "a", "equals": "y"}},
                ]
            ],
            errors.FORM_SHOW_IF_INVALID,
            "pages[0].fields[1].show_if.equals",
        ),
        (
            [
                [
                    {"key": "a", "label": "A", "type": "file"},
                    {"key": "b", "label": "B", "type": "text", "show_if": {"key": "a", "equals": "y"}},
                ]
            ],
            errors.FORM_SHOW_IF_INVALID,
            "pages[0].fields[1].show_if.equals",
        ),
        # maps_to: unknown target, unknown or unused custom field, wrong type, used twice
        (
            [[{"key": "a", "label": "A", "type": "text", "maps_to": "status"}]],
            errors.FORM_UNKNOWN_MAPS_TO,
            "pages[0].fields[0].maps_to",
        ),
        (
            [[{"key": "a", "label": "A", "type": "text", "maps_to": "custom_fields.nope"}]],
            errors.FORM_UNKNOWN_MAPS_TO,
            "pages[0].fields[0].maps_to",
        ),
        (
            [[{"key": "a", "label": "A", "type": "text", "maps_to": "custom_fields.retired"}]],
            errors.FORM_UNKNOWN_MAPS_TO,
            "pages[0].fields[0].maps_to",
        ),
        (
            [[{"key": "a", "label": "A", "type": "date", "maps_to": "title"}]],
            errors.FORM_MAPS_TO_MISMATCH,
            "pages[0].fields[0].maps_to",
        ),
        (
            [[{"key": "a", "label": "A", "type": "text", "maps_to": "custom_fields.floor"}]],
            errors.FORM_MAPS_TO_MISMATCH,
            "pages[0].fields[0].maps_to",
        ),
        (
            [
                [
                    {
                        "key": "a",
                        "label": "A",
                        "type": "select",
                        "options": ["Oslo", "Rome"],
                        "maps_to": "custom_fields.site",
                    }
                ]
            ],
            errors.FORM_MAPS_TO_MISMATCH,
            "pages[0].fields[0].maps_to",
        ),
        (
            [[{"key": "a", "label": "A", "type": "select", "options": ["soon"], "maps_to": "priority"}]],
            errors.FORM_MAPS_TO_MISMATCH,
            "pages[0].fields[0].maps_to",
        ),
        (
            [[{"key": "a", "label": "A", "type": "select", "options": ["Nope"], "maps_to": "type"}]],
            errors.FORM_MAPS_TO_MISMATCH,
            "pages[0].fields[0].maps_to",
        ),
        (
            [
                [
                    {"key": "a", "label": "A", "type": "text", "maps_to": "title"},
                    {"key": "b", "label": "B", "type": "text", "maps_to": "title"},
                ]
            ],
            errors.FORM_MAPS_TO_MISMATCH,
            "pages[0].fields[1].maps_to",
        ),
    ],
)
def test_each_unsound_part_is_refused_with_its_code_and_path(
    pages: list[list[dict[str, Any]]], code: str, path: str
) -> None:
    refused = _refused(_form(*pages))
    assert refused.code == code
    assert refused.details["path"] == path
    assert errors.http_status(refused.code) == 422


def test_a_page_condition_looks_only_at_earlier_pages() -> None:
    same_page = _form([{"key": "a", "label": "A", "type": "text"}], page_rules={0: {"key": "a"}})
    refused = _refused(same_page)
    assert (refused.code, refused.details["path"]) == (errors.FORM_SHOW_IF_INVALID, "pages[0].show_if.key")


def _answer(key: str, value: Any, maps_to: str | None = None, kind: FormFieldType = FormFieldType.TEXT) -> FormAnswer:
    return FormAnswer(key=key, label=key.title(), type=kind, value=value, maps_to=maps_to)


def test_answers_set_the_mapped_case_fields() -> None:
    mapped = rules.map_answers(
        form_name="IT",
        answers=[
            _answer("subject", "Laptop broken", "title"),
            _answer("urgency", "high", "priority"),
            _answer("kind", "Fault", "type"),
            _answer("floor", 3, "custom_fields.floor", FormFieldType.NUMBER),
            _answer("apps", ["Mail", "Chat"], "custom_fields.asset_tag", FormFieldType.MULTI_SELECT),
            _answer("details", "It smokes", "description"),
        ],
    )
    assert mapped.title == "Laptop broken"
    assert mapped.priority is Priority.HIGH
    assert mapped.type_name == "Fault"
    assert mapped.custom_fields == {"floor": 3, "asset_tag": "Mail, Chat"}
    assert mapped.description == "It smokes"


def test_without_title_or_description_the_form_name_and_a_summary_stand_in() -> None:
    mapped = rules.map_answers(
        form_name="Facilities", answers=[_answer("room", "B12"), _answer("ok", True, kind=FormFieldType.CHECKBOX)]
    )
    assert mapped.title == "Facilities"
    assert mapped.description == "Room: B12\nOk: Yes"
    assert mapped.priority is None and mapped.custom_fields == {}
