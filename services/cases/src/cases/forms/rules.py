"""Department forms (A3): is a definition sound, and which case fields do a submission's answers set. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cases.config.rules import FieldDef
from contracts import errors
from contracts.case_config import CustomFieldType
from contracts.cases import Priority
from contracts.errors import InvalidForm
from contracts.forms import CHOICE_TYPES, FormAnswer, FormFieldDef, FormFieldType, FormPageDef, ShowIf

BUILTIN_TARGETS = ("title", "description", "priority", "type")
CUSTOM_PREFIX = "custom_fields."
TITLE_MAX = 500
DESCRIPTION_MAX = 100_000

# which answers can fill which case field: a wrong pairing is refused when the form is saved, not when a
# customer sends it
_TEXTUAL = frozenset(
    {FormFieldType.TEXT, FormFieldType.TEXTAREA, FormFieldType.EMAIL, FormFieldType.PHONE, FormFieldType.SELECT}
)
_FITS_CUSTOM: dict[CustomFieldType, frozenset[FormFieldType]] = {
    CustomFieldType.TEXT: _TEXTUAL | {FormFieldType.MULTI_SELECT},
    CustomFieldType.NUMBER: frozenset({FormFieldType.NUMBER}),
    CustomFieldType.DATE: frozenset({FormFieldType.DATE}),
    CustomFieldType.SELECT: frozenset({FormFieldType.SELECT}),
}


@dataclass(frozen=True)
class Targets:
    """What a form may map onto: the workspace's custom fields and case type names."""

    custom_fields: Mapping[str, FieldDef] = field(default_factory=dict)
    type_names: frozenset[str] = frozenset()


def _refuse(code: str, message: str, path: str, **more: Any) -> InvalidForm:
    return InvalidForm(code, message, {"path": path, **more})


def check_definition(pages: Sequence[FormPageDef], targets: Targets) -> None:
    """Refuse the first unsound part with its code and path: duplicate keys, options, maps_to, show_if."""
    earlier: dict[str, FormFieldDef] = {}
    mapped: dict[str, str] = {}
    for p, page in enumerate(pages):
        on_earlier_pages = dict(earlier)
        if page.show_if is not None:
            _check_show_if(page.show_if, on_earlier_pages, f"pages[{p}].show_if")
        for f, spec in enumerate(page.fields):
            path = f"pages[{p}].fields[{f}]"
            if spec.key in earlier:
                raise _refuse(errors.FORM_DUPLICATE_KEY, f"the key {spec.key!r} is used twice", f"{path}.key")
            _check_options(spec, path)
            if spec.show_if is not None:
                _check_show_if(spec.show_if, earlier, f"{path}.show_if")
            if spec.maps_to is not None:
                if spec.maps_to in mapped:
                    raise _refuse(
                        errors.FORM_MAPS_TO_MISMATCH,
                        f"{spec.maps_to} is already set by {mapped[spec.maps_to]}",
                        f"{path}.maps_to",
                    )
                _check_maps_to(spec, targets, f"{path}.maps_to")
                mapped[spec.maps_to] = spec.key
            earlier[spec.key] = spec


def _check_options(spec: FormFieldDef, path: str) -> None:
    if spec.type in CHOICE_TYPES and not spec.options:
        raise _refuse(errors.FORM_OPTIONS_INVALID, f"a {spec.type.value} field needs options", f"{path}.options")
    if spec.type not in CHOICE_TYPES and spec.options:
        raise _refuse(errors.FORM_OPTIONS_INVALID, f"a {spec.type.value} field has no options", f"{path}.options")
    seen: set[str] = set()
    for i, option in enumerate(spec.options):
        if option in seen:
            raise _refuse(errors.FORM_OPTIONS_INVALID, f"the option {option!r} is listed twice", f"{path}.options[{i}]")
        seen.add(option)


def _check_show_if(rule: ShowIf, earlier: Mapping[str, FormFieldDef], path: str) -> None:
    """A condition may only look back: at a field asked before this one (a page: on an earlier page)."""
    source = earlier.get(rule.key)
    if source is None:
        raise _refuse(
            errors.FORM_SHOW_IF_INVALID,
            f"show_if names {rule.key!r}, which is not a field asked before this one",
            f"{path}.key",
        )
    if rule.equals is None:
        return
    if source.type in CHOICE_TYPES and rule.equals not in source.options:
        raise _refuse(
            errors.FORM_SHOW_IF_INVALID, f"{rule.equals!r} is not an option of {rule.key!r}", f"{path}.equals"
        )
    if source.type == FormFieldType.CHECKBOX and rule.equals not in ("true", "false"):
        raise _refuse(errors.FORM_SHOW_IF_INVALID, 'a checkbox is "true" or "false"', f"{path}.equals")
    if source.type == FormFieldType.FILE:
        raise _refuse(errors.FORM_SHOW_IF_INVALID, "a file answer has no value to compare", f"{path}.equals")


def _check_maps_to(spec: FormFieldDef, targets: Targets, path: str) -> None:
    target = spec.maps_to or ""

    def mismatch(why: str) -> InvalidForm:
        return _refuse(errors.FORM_MAPS_TO_MISMATCH, f"{spec.type.value} field cannot set {target}: {why}", path)

    if target.startswith(CUSTOM_PREFIX):
        key = target.removeprefix(CUSTOM_PREFIX)
        custom = targets.custom_fields.get(key)
        if custom is None or not custom.used:
            raise _refuse(errors.FORM_UNKNOWN_MAPS_TO, f"there is no custom field {key!r}", path)
        if spec.type not in _FITS_CUSTOM[custom.type]:
            raise mismatch(f"it is a {custom.type.value} custom field")
        if custom.type == CustomFieldType.SELECT and not set(spec.options) <= set(custom.options):
            raise mismatch(f"its options are {custom.options}")
        return
    if target not in BUILTIN_TARGETS:
        raise _refuse(
            errors.FORM_UNKNOWN_MAPS_TO,
            f"maps_to is one of {', '.join(BUILTIN_TARGETS)} or custom_fields.<key>, not {target!r}",
            path,
        )
    if target == "title" and spec.type not in _TEXTUAL:
        raise mismatch("a title is text")
    if target == "description" and spec.type not in (FormFieldType.TEXT, FormFieldType.TEXTAREA):
        raise mismatch("a description is text")
    if target == "priority":
        allowed = {p.value for p in Priority}
        if spec.type != FormFieldType.SELECT or not set(spec.options) <= allowed:
            raise mismatch(f"a priority is a select of {sorted(allowed)}")
    if target == "type" and (spec.type != FormFieldType.SELECT or not set(spec.options) <= targets.type_names):
        raise mismatch(f"a type is a select of the case types {sorted(targets.type_names)}")


@dataclass
class MappedCase:
    """What a submission sets on its new case."""

    title: str
    description: str
    priority: Priority | None = None
    type_name: str | None = None
    custom_fields: dict[str, Any] = field(default_factory=dict)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return "" if value is None else str(value)


def summary(answers: Sequence[FormAnswer]) -> str:
    """The answers as plain text, for a case whose form maps no description (mail and search read it)."""
    # a question ending in "?" or ":" needs no colon of ours
    return "\n".join(
        f"{a.label}{'' if a.label.endswith(('?', ':')) else ':'} {_text(a.value)}" for a in answers if _text(a.value)
    )


def map_answers(*, form_name: str, answers: Sequence[FormAnswer]) -> MappedCase:
    """The case fields the answers set; a form without a title answer gives its own name as the title."""
    by_target = {a.maps_to: a.value for a in answers if a.maps_to and a.value not in (None, "", [])}
    title = _text(by_target.get("title")).strip()[:TITLE_MAX] or form_name[:TITLE_MAX]
    description = _text(by_target.get("description"))[:DESCRIPTION_MAX] or summary(answers)[:DESCRIPTION_MAX]
    priority = by_target.get("priority")
    custom = {
        target.removeprefix(CUSTOM_PREFIX): _text(value) if isinstance(value, list) else value
        for target, value in by_target.items()
        if target and target.startswith(CUSTOM_PREFIX)
    }
    return MappedCase(
        title=title,
        description=description,
        priority=Priority(priority) if priority in {p.value for p in Priority} else None,
        type_name=_text(by_target["type"]) if "type" in by_target else None,
        custom_fields=custom,
    )
