"""Custom fields, per-field configuration and tags (B1, B8, H2): validation without I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from contracts.case_config import CustomFieldType
from contracts.errors import InvalidCustomField, RequiredFieldMissing, ValidationFailed

# built-in fields an admin may switch off, hide or make required (H2); title is always required
OPTIONAL_FIELDS = (
    "type_id",
    "category",
    "solution",
    "due_at",
    "external_ref",
    "organisation_id",
    "follower_ids",
    "tags",
    "parent_id",
)
MAX_TAG = 100


@dataclass(frozen=True)
class FieldDef:
    key: str
    type: CustomFieldType
    options: list[str] = field(default_factory=list)
    used: bool = True
    required: bool = False


@dataclass(frozen=True)
class FieldRule:
    used: bool = True
    required: bool = False


def custom_value(definition: FieldDef, value: Any) -> str | None:
    """The stored text of one custom field value, or InvalidCustomField."""
    if value is None or value == "":
        return None

    def bad(why: str) -> InvalidCustomField:
        return InvalidCustomField(message=f"{definition.key}: {why}", details={"field": definition.key, "value": value})

    if definition.type == CustomFieldType.NUMBER:
        if isinstance(value, bool):
            raise bad("not a number")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise bad("not a number") from None
        return str(int(number)) if number.is_integer() else str(number)
    if definition.type == CustomFieldType.DATE:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise bad("not a date (YYYY-MM-DD)") from None
    text = str(value).strip()
    if definition.type == CustomFieldType.SELECT and text not in definition.options:
        raise bad(f"not one of {definition.options}")
    if len(text) > 10_000:
        raise bad("longer than 10000 characters")
    return text


def custom_values(definitions: list[FieldDef], values: dict[str, Any]) -> dict[str, str | None]:
    """Validate a set of custom field values: unknown or unused keys and wrong values are refused."""
    by_key = {d.key: d for d in definitions}
    result: dict[str, str | None] = {}
    for key, value in values.items():
        definition = by_key.get(key)
        if definition is None or not definition.used:
            raise InvalidCustomField(message=f"no custom field {key}", details={"field": key})
        result[key] = custom_value(definition, value)
    return result


def check_required(
    *, rules: dict[str, FieldRule], definitions: list[FieldDef], values: dict[str, Any], custom: dict[str, Any]
) -> None:
    """RequiredFieldMissing when a required built-in or custom field ends up empty."""
    missing = missing_required(rules=rules, definitions=definitions, values=values, custom=custom)
    if missing:
        raise RequiredFieldMissing(message=f"required: {', '.join(missing)}", details={"missing": missing})


def missing_required(
    *, rules: dict[str, FieldRule], definitions: list[FieldDef], values: dict[str, Any], custom: dict[str, Any]
) -> list[str]:
    """The required built-in and custom fields that are empty, by name (`custom_fields.<key>` for custom ones)."""
    missing = [
        name
        for name in OPTIONAL_FIELDS
        if (rule := rules.get(name)) and rule.used and rule.required and _empty(values.get(name))
    ]
    missing += [f"custom_fields.{d.key}" for d in definitions if d.used and d.required and _empty(custom.get(d.key))]
    return missing


def check_used(*, rules: dict[str, FieldRule], values: dict[str, Any]) -> None:
    """A field the admin switched off cannot be set."""
    unused = [name for name, value in values.items() if not _empty(value) and not rules.get(name, FieldRule()).used]
    if unused:
        raise ValidationFailed(message=f"not in use: {', '.join(unused)}", details={"unused": unused})


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def tags(values: list[str]) -> list[str]:
    """Tags as stored: trimmed, lower-cased, unique, sorted; empty or over-long ones refused."""
    result = set()
    for raw in values:
        tag = raw.strip().lower()
        if not tag or len(tag) > MAX_TAG:
            raise ValidationFailed(message=f"invalid tag {raw!r}", details={"tags": raw})
        result.add(tag)
    return sorted(result)
