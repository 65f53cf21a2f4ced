"""A customer's answers to a department form: which pages and fields are shown, and are the answers valid. No I/O.

Answers are kept as typed (`Raw`: text, or a list for a multi-select) in the draft, so a page with an error
shows exactly what was typed; `typed_value` turns a valid one into the value the case keeps.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from contracts.forms import (
    CHOICE_TYPES,
    MAX_ANSWER_CHARS,
    AnswerValue,
    FormAnswer,
    FormFieldDef,
    FormFieldType,
    FormPageDef,
    FormRead,
    ShowIf,
)
from portal.domain.forms import FormError, normalize_email

Raw = str | list[str]
Answers = Mapping[str, Raw]

_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{3,28}[0-9]$")
TEXT_MAX = 1_000
MAX_RAW_CHARS = MAX_ANSWER_CHARS + 1_000  # kept as typed, so a too-long answer is shown back, not cut
MAX_FILES_PER_PAGE = 20

# what a file answer may be: common documents and pictures (anything else is refused with its name)
ALLOWED_FILE_TYPES: dict[str, frozenset[str]] = {
    ".pdf": frozenset({"application/pdf"}),
    ".png": frozenset({"image/png"}),
    ".jpg": frozenset({"image/jpeg"}),
    ".jpeg": frozenset({"image/jpeg"}),
    ".gif": frozenset({"image/gif"}),
    ".webp": frozenset({"image/webp"}),
    ".txt": frozenset({"text/plain"}),
    ".csv": frozenset({"text/csv", "text/plain", "application/vnd.ms-excel"}),
    ".docx": frozenset({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"}),
    ".xlsx": frozenset({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
}
ACCEPT = ",".join(ALLOWED_FILE_TYPES)


def _has_value(raw: Raw | None) -> bool:
    if isinstance(raw, list):
        return bool(raw)
    return bool(raw and raw.strip())


def holds(rule: ShowIf | None, answers: Answers) -> bool:
    """Does a show_if hold for these answers (no rule: always)."""
    if rule is None:
        return True
    raw = answers.get(rule.key)
    if rule.equals is None:
        return _has_value(raw) and raw != "false"
    if isinstance(raw, list):
        return rule.equals in raw
    return (raw or "").strip() == rule.equals or (rule.equals == "false" and not _has_value(raw))


def visible_fields(form: FormRead, answers: Answers) -> dict[str, FormFieldDef]:
    """The fields shown for these answers, in order: a field is hidden when its page or its rule does not hold,
    or when the answer its rule looks at is itself hidden."""
    shown: dict[str, FormFieldDef] = {}
    for page in form.pages:
        if not _page_shown(page, answers, shown):
            continue
        for spec in page.fields:
            if spec.show_if is None or (spec.show_if.key in shown and holds(spec.show_if, answers)):
                shown[spec.key] = spec
    return shown


def _page_shown(page: FormPageDef, answers: Answers, shown: Mapping[str, FormFieldDef]) -> bool:
    return page.show_if is None or (page.show_if.key in shown and holds(page.show_if, answers))


def visible_pages(form: FormRead, answers: Answers) -> list[int]:
    """Indexes of the pages shown for these answers."""
    shown = visible_fields(form, answers)
    return [i for i, page in enumerate(form.pages) if any(f.key in shown for f in page.fields)]


def check_answer(spec: FormFieldDef, raw: Raw | None, *, has_file: bool = False) -> str | None:
    """The message to show next to the field, or None when the answer is fine."""
    if spec.type == FormFieldType.FILE:
        return "Attach a file." if spec.required and not has_file else None
    if not _has_value(raw):
        if spec.required:
            return "Tick this box to continue." if spec.type == FormFieldType.CHECKBOX else "This field is required."
        return None
    try:
        typed_value(spec, raw)
    except FormError as exc:
        return str(exc)
    return None


def typed_value(spec: FormFieldDef, raw: Raw | None) -> AnswerValue:
    """The value kept on the case (FormError with the message for the customer when it is not valid)."""
    if spec.type == FormFieldType.MULTI_SELECT:
        chosen = raw if isinstance(raw, list) else ([raw] if raw else [])
        if any(c not in spec.options for c in chosen):
            raise FormError("Choose from the list.")
        return [o for o in spec.options if o in chosen]
    text = (raw[0] if raw else "") if isinstance(raw, list) else (raw or "")
    text = text.strip()
    if spec.type == FormFieldType.CHECKBOX:
        return text in ("true", "on", "yes")
    if not text:
        return None
    if spec.type == FormFieldType.NUMBER:
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise FormError("Enter a number, like 12 or 3.5.") from None
        if number != number or abs(number) > 1e15:
            raise FormError("Enter a number, like 12 or 3.5.")
        return int(number) if number.is_integer() else number
    if spec.type == FormFieldType.DATE:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise FormError("Enter a date as YYYY-MM-DD, like 2026-12-24.") from None
    if spec.type in CHOICE_TYPES:
        if text not in spec.options:
            raise FormError("Choose from the list.")
        return text
    if spec.type == FormFieldType.EMAIL:
        return normalize_email(text)
    if spec.type == FormFieldType.PHONE:
        if not _PHONE.match(text):
            raise FormError("Enter a phone number, like +47 912 34 567.")
        return text
    limit = MAX_ANSWER_CHARS if spec.type == FormFieldType.TEXTAREA else TEXT_MAX
    if len(text) > limit:
        raise FormError(f"This is too long (at most {limit:,} characters).")
    return text


def page_errors(form: FormRead, page_index: int, answers: Answers, files: Mapping[str, str]) -> dict[str, str]:
    """Messages per field key for the shown fields of one page."""
    shown = visible_fields(form, answers)
    errors: dict[str, str] = {}
    for spec in form.pages[page_index].fields:
        if spec.key in shown and (message := check_answer(spec, answers.get(spec.key), has_file=spec.key in files)):
            errors[spec.key] = message
    return errors


def first_page_with_errors(
    form: FormRead, answers: Answers, files: Mapping[str, str]
) -> tuple[int, dict[str, str]] | None:
    """Before sending: the first shown page with a wrong answer (pages may have changed since they were passed)."""
    for index in visible_pages(form, answers):
        if errors := page_errors(form, index, answers, files):
            return index, errors
    return None


def final_answers(form: FormRead, answers: Answers, files: Mapping[str, str]) -> list[FormAnswer]:
    """Every shown field's answer as the case keeps it, with its question; hidden ones are left out."""
    shown = visible_fields(form, answers)
    result: list[FormAnswer] = []
    for page in form.pages:
        for spec in page.fields:
            if spec.key not in shown:
                continue
            value = files.get(spec.key) if spec.type == FormFieldType.FILE else typed_value(spec, answers.get(spec.key))
            result.append(
                FormAnswer(
                    key=spec.key, label=spec.label, type=spec.type, page=page.title, value=value, maps_to=spec.maps_to
                )
            )
    return result


@dataclass(frozen=True)
class Upload:
    filename: str
    content_type: str
    size: int


def check_upload(upload: Upload, *, max_bytes: int) -> str | None:
    """Why a file cannot be taken (shown next to its field), or None."""
    if upload.size == 0:
        return f"{upload.filename} is empty."
    if upload.size > max_bytes:
        return f"{upload.filename} is larger than {max_bytes // (1024 * 1024)} MB."
    suffix = PurePosixPath(upload.filename.lower()).suffix
    allowed = ALLOWED_FILE_TYPES.get(suffix)
    declared = upload.content_type.split(";", 1)[0].strip().lower()
    if allowed is None or (declared and declared != "application/octet-stream" and declared not in allowed):
        kinds = ", ".join(s.lstrip(".").upper() for s in ALLOWED_FILE_TYPES)
        return f"{upload.filename}: this kind of file cannot be sent. Use {kinds}."
    return None


def body_ceiling(form: FormRead, max_file_bytes: int) -> int:
    """The largest POST a page of this form can need: twice each file's limit, and room for the text."""
    files = max(len([f for f in p.fields if f.type == FormFieldType.FILE]) for p in form.pages)
    return files * max_file_bytes * 2 + 2 * 1024 * 1024


def page_keys(page: FormPageDef) -> Sequence[str]:
    return [f.key for f in page.fields]
