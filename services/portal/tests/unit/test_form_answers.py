"""A customer's form answers: conditions shown and hidden, each answer type checked with a message, uploads bounded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.forms import FormFieldType, FormRead
from portal.domain import form_answers as rules

FORM = FormRead.model_validate(
    {
        "id": 1,
        "name": "IT help",
        "created_at": datetime(2026, 12, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 12, 1, tzinfo=UTC),
        "pages": [
            {
                "title": "What",
                "fields": [
                    {"key": "subject", "label": "Subject", "type": "text", "required": True, "maps_to": "title"},
                    {"key": "device", "label": "Device", "type": "select", "options": ["Laptop", "Phone"]},
                    {
                        "key": "serial",
                        "label": "Serial",
                        "type": "text",
                        "required": True,
                        "show_if": {"key": "device", "equals": "Laptop"},
                    },
                ],
            },
            {
                "title": "Laptop details",
                "show_if": {"key": "device", "equals": "Laptop"},
                "fields": [{"key": "apps", "label": "Apps", "type": "multi-select", "options": ["Mail", "Chat"]}],
            },
            {
                "title": "More",
                "fields": [
                    {"key": "when", "label": "When", "type": "date"},
                    {"key": "count", "label": "Count", "type": "number"},
                    {"key": "mail", "label": "Mail", "type": "email"},
                    {"key": "phone", "label": "Phone", "type": "phone"},
                    {"key": "ok", "label": "I agree", "type": "checkbox", "required": True},
                    {"key": "photo", "label": "Photo", "type": "file"},
                ],
            },
        ],
    }
)


def test_a_condition_shows_a_field_and_a_page_only_for_its_answer() -> None:
    assert "serial" not in rules.visible_fields(FORM, {"device": "Phone"})
    assert rules.visible_pages(FORM, {"device": "Phone"}) == [0, 2]
    assert "serial" in rules.visible_fields(FORM, {"device": "Laptop"})
    assert rules.visible_pages(FORM, {"device": "Laptop"}) == [0, 1, 2]


def test_a_hidden_required_field_asks_for_nothing() -> None:
    assert rules.page_errors(FORM, 0, {"subject": "Help", "device": "Phone"}, {}) == {}
    assert rules.page_errors(FORM, 0, {"subject": "Help", "device": "Laptop"}, {}) == {
        "serial": "This field is required."
    }


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("when", "24.12.2026", "Enter a date as YYYY-MM-DD, like 2026-12-24."),
        ("count", "twelve", "Enter a number, like 12 or 3.5."),
        ("mail", "not-an-address", "That does not look like an e-mail address."),
        ("phone", "call me", "Enter a phone number, like +47 912 34 567."),
        ("ok", "", "Tick this box to continue."),
    ],
)
def test_each_wrong_answer_gets_its_message(key: str, raw: str, message: str) -> None:
    answers = {"ok": "true", key: raw}
    assert rules.page_errors(FORM, 2, answers, {}) == {key: message}


def test_valid_answers_become_typed_values_and_hidden_ones_are_left_out() -> None:
    answers = {
        "subject": " Screen flickers ",
        "device": "Phone",
        "serial": "typed before the device changed",
        "when": "2026-12-24",
        "count": "3,5",
        "mail": "Nina@Example.COM",
        "phone": "+47 912 34 567",
        "ok": "true",
    }
    final = {a.key: a for a in rules.final_answers(FORM, answers, {"photo": "screen.png"})}
    assert "serial" not in final and "apps" not in final
    assert final["subject"].value == "Screen flickers" and final["subject"].maps_to == "title"
    assert final["subject"].page == "What"
    assert final["count"].value == 3.5
    assert final["mail"].value == "nina@example.com"
    assert final["ok"].value is True
    assert final["photo"].value == "screen.png" and final["photo"].type is FormFieldType.FILE


def test_a_multi_select_keeps_the_form_order_and_refuses_unknown_choices() -> None:
    spec = FORM.pages[1].fields[0]
    assert rules.typed_value(spec, ["Chat", "Mail"]) == ["Mail", "Chat"]
    assert rules.check_answer(spec, ["Fax"]) == "Choose from the list."


def test_the_first_page_with_a_wrong_answer_is_found_before_sending() -> None:
    answers = {"subject": "x", "device": "Laptop", "serial": "1", "ok": "", "count": "x"}
    page, errors = rules.first_page_with_errors(FORM, answers, {}) or (None, {})
    assert page == 2 and set(errors) == {"ok", "count"}


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (rules.Upload("a.pdf", "application/pdf", 0), "a.pdf is empty."),
        (rules.Upload("a.pdf", "application/pdf", 11 * 1024 * 1024), "a.pdf is larger than 10 MB."),
        (rules.Upload("run.exe", "application/x-msdownload", 10), "run.exe: this kind of file cannot be sent."),
        (rules.Upload("fake.pdf", "text/html", 10), "fake.pdf: this kind of file cannot be sent."),
    ],
)
def test_uploads_are_bounded_by_size_and_type(upload: rules.Upload, message: str) -> None:
    refused = rules.check_upload(upload, max_bytes=10 * 1024 * 1024)
    assert refused is not None and refused.startswith(message)


def test_an_allowed_upload_passes() -> None:
    assert rules.check_upload(rules.Upload("Scan.PDF", "application/pdf", 1000), max_bytes=10_000) is None


def test_the_body_ceiling_grows_with_the_file_questions_of_the_busiest_page() -> None:
    assert rules.body_ceiling(FORM, 10) == 1 * 10 * 2 + 2 * 1024 * 1024
