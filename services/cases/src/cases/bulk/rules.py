"""The import format: one record per case (a CSV row or a JSON line), validated into `CaseIn` (pure logic).

Column / key names (see docs/import.md):
external_id (required), number, title (required), description, status, priority, source, requester_email,
requester_name, organisation, assignee_email, group, tags, created_at, updated_at, resolved_at,
closed_at, custom_fields (JSONL: an object; CSV: one column per field named `custom.<key>`),
messages (JSONL: an array; CSV: a column holding the same array as JSON).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from contracts.cases import Channel, Priority, Source, Status, Visibility

MAX_TITLE = 500
MAX_TAG = 100
MAX_EXTERNAL_ID = 200

# the words other help desks export, mapped onto our status categories and priorities
STATUS_WORDS: dict[str, Status] = {
    **{s.value: s for s in Status},
    "pending": Status.WAITING,
    "on-hold": Status.WAITING,
    "on hold": Status.WAITING,
    "hold": Status.WAITING,
    "waiting on customer": Status.WAITING,
    "solved": Status.RESOLVED,
    "done": Status.RESOLVED,
    "in progress": Status.OPEN,
    "in_progress": Status.OPEN,
    "snoozed": Status.DORMANT,
}
PRIORITY_WORDS: dict[str, Priority] = {
    **{p.value: p for p in Priority},
    "normal": Priority.MEDIUM,
    "critical": Priority.URGENT,
    "urgent!": Priority.URGENT,
}
AUTHOR_WORDS = {"contact": "contact", "customer": "contact", "end-user": "contact", "requester": "contact"}
AUTHOR_WORDS.update({"agent": "agent", "staff": "agent", "system": "system"})


class RowInvalid(ValueError):
    """A record that cannot be imported; `reason` is shown to the user with the line number."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class MessageIn:
    author_type: str  # contact | agent | system
    body_text: str
    created_at: datetime
    visibility: str = Visibility.PUBLIC.value
    author_email: str | None = None
    author_name: str = ""
    body_html: str | None = None
    channel: str = Channel.EMAIL.value


@dataclass
class CaseIn:
    line: int
    external_id: str
    title: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    number: int | None = None
    status: Status = Status.OPEN
    status_name: str | None = None  # an admin status named in the file (resolved against the database)
    priority: Priority = Priority.MEDIUM
    source: Source = Source.EMAIL
    requester_email: str | None = None
    requester_name: str = ""
    organisation: str | None = None
    assignee_email: str | None = None
    group: str | None = None
    tags: list[str] = field(default_factory=list)
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    custom_fields: dict[str, str] = field(default_factory=dict)
    messages: list[MessageIn] = field(default_factory=list)


# -- reading files ----------------------------------------------------------------------------


def read_records(stream: io.TextIOBase | Any, fmt: str) -> Iterator[tuple[int, dict[str, Any] | RowInvalid]]:
    """(line number, raw record) per case; a line that is not even a record yields a RowInvalid."""
    if fmt == "jsonl":
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, RowInvalid(f"not valid JSON: {exc.msg} at column {exc.colno}")
                continue
            yield number, value if isinstance(value, dict) else RowInvalid("a line must be a JSON object")
    elif fmt == "csv":
        reader = csv.DictReader(stream)
        if reader.fieldnames is None:
            return
        previous = reader.line_num
        for row in reader:
            # the line a record starts on (a quoted multi-line field spans several lines)
            start, previous = previous + 1, reader.line_num
            if None in row:
                yield start, RowInvalid(f"{len(row[None])} more field(s) than the header has")
                continue
            yield start, _csv_record(row)
    else:
        raise ValueError(f"unknown format {fmt!r} (csv or jsonl)")


def _csv_record(row: dict[str, str | None]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    custom: dict[str, str] = {}
    for key, value in row.items():
        if value is None or value == "":
            continue
        if key.startswith("custom."):
            custom[key.removeprefix("custom.")] = value
        elif key == "messages":
            try:
                record["messages"] = json.loads(value)
            except json.JSONDecodeError as exc:
                record["messages"] = RowInvalid(f"messages is not a JSON array: {exc.msg}")
        else:
            record[key] = value
    if custom:
        record["custom_fields"] = custom
    return record


def guess_format(path: str) -> str:
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lower.endswith((".csv", ".tsv")):
        return "csv"
    raise ValueError(f"cannot tell the format of {path!r}: pass --format csv|jsonl")


# -- validating -------------------------------------------------------------------------------


def parse_case(raw: dict[str, Any], line: int, *, now: datetime) -> CaseIn:
    """Validate one record; raises RowInvalid with the first problem found."""
    external_id = _text(raw.get("external_id") if "external_id" in raw else raw.get("id"))
    if not external_id:
        raise RowInvalid("external_id is missing")
    if len(external_id) > MAX_EXTERNAL_ID:
        raise RowInvalid(f"external_id is longer than {MAX_EXTERNAL_ID} characters")
    title = _text(raw.get("title") or raw.get("subject"))
    if not title:
        raise RowInvalid("title is missing")
    if len(title) > MAX_TITLE:
        raise RowInvalid(f"title is longer than {MAX_TITLE} characters")
    created_at = _time(raw, "created_at") or now
    if created_at > now:
        raise RowInvalid("created_at is in the future")
    status_word = _text(raw.get("status")).lower()
    status = STATUS_WORDS.get(status_word) if status_word else Status.OPEN
    status_name = None
    if status is None:
        # maybe an admin status name (resolved against the database by the importer)
        status, status_name = Status.OPEN, _text(raw.get("status"))
    priority_word = _text(raw.get("priority")).lower()
    priority = PRIORITY_WORDS.get(priority_word) if priority_word else Priority.MEDIUM
    if priority is None:
        raise RowInvalid(f"unknown priority {raw.get('priority')!r} (low, medium, high, urgent)")
    source_word = _text(raw.get("source")).lower() or Source.EMAIL.value
    try:
        source = Source(source_word)
    except ValueError:
        raise RowInvalid(f"unknown source {raw.get('source')!r}") from None
    case = CaseIn(
        line=line,
        external_id=external_id,
        title=title,
        description=_text(raw.get("description")),
        created_at=created_at,
        updated_at=created_at,
        number=_number(raw.get("number")),
        status=status,
        status_name=status_name,
        priority=priority,
        source=source,
        requester_email=_email(raw.get("requester_email"), "requester_email"),
        requester_name=_text(raw.get("requester_name"))[:200],
        organisation=_text(raw.get("organisation") or raw.get("organization"))[:200] or None,
        assignee_email=_email(raw.get("assignee_email"), "assignee_email"),
        group=_text(raw.get("group") or raw.get("group_name"))[:200] or None,
        tags=_tags(raw.get("tags")),
        resolved_at=_time(raw, "resolved_at"),
        closed_at=_time(raw, "closed_at"),
        custom_fields=_custom(raw.get("custom_fields")),
        messages=_messages(raw.get("messages"), created_at),
    )
    last_activity = max([m.created_at for m in case.messages], default=created_at)
    updated = _time(raw, "updated_at")
    case.updated_at = max(updated or last_activity, last_activity, created_at)
    # a resolved/closed case without its stamp gets its last activity, as the workflow would have stamped it
    if case.status in (Status.RESOLVED, Status.CLOSED) and case.resolved_at is None:
        case.resolved_at = case.updated_at
    if case.status == Status.CLOSED and case.closed_at is None:
        case.closed_at = case.updated_at
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        case.resolved_at = case.closed_at = None
    elif case.status == Status.RESOLVED:
        case.closed_at = None
    return case


def _text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int | float):
        raise RowInvalid(f"expected text, got {type(value).__name__}")
    return str(value).strip()


def _number(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(str(value).strip().lstrip("#"))
    except ValueError:
        raise RowInvalid(f"number {value!r} is not a whole number") from None
    if number < 1 or number > 2_000_000_000:
        raise RowInvalid(f"number {value!r} is out of range")
    return number


def _email(value: Any, name: str) -> str | None:
    text = _text(value)
    if not text:
        return None
    _display, address = parseaddr(text)
    if "@" not in address or " " in address or len(address) > 320 or address.startswith("@"):
        raise RowInvalid(f"{name} {text!r} is not an email address")
    return address.lower()


def parse_time(value: Any) -> datetime:
    """ISO 8601 (a trailing Z, a space for T, or a date alone); naive times are taken as UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    text = _text(value)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowInvalid(f"{text!r} is not an ISO 8601 time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _time(raw: dict[str, Any], name: str) -> datetime | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    try:
        return parse_time(value)
    except RowInvalid as exc:
        raise RowInvalid(f"{name}: {exc.reason}") from None


def _tags(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else str(value).replace(";", ",").split(",")
    tags = set()
    for item in items:
        tag = _text(item).lower()
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise RowInvalid(f"tag {tag[:20]!r}... is longer than {MAX_TAG} characters")
        tags.add(tag)
    return sorted(tags)


def _custom(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise RowInvalid("custom_fields must be an object")
    return {str(k): _text(v) if not isinstance(v, list | dict | bool) else json.dumps(v) for k, v in value.items()}


def _messages(value: Any, created_at: datetime) -> list[MessageIn]:
    if value is None or value == "":
        return []
    if isinstance(value, RowInvalid):
        raise value
    if not isinstance(value, list):
        raise RowInvalid("messages must be an array")
    messages = []
    for index, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise RowInvalid(f"message {index} is not an object")
        try:
            messages.append(_message(item, created_at))
        except RowInvalid as exc:
            raise RowInvalid(f"message {index}: {exc.reason}") from None
    messages.sort(key=lambda m: m.created_at)  # stable: equal times keep the file's order
    return messages


def _message(item: dict[str, Any], created_at: datetime) -> MessageIn:
    author = AUTHOR_WORDS.get(_text(item.get("author_type") or "contact").lower())
    if author is None:
        raise RowInvalid(f"unknown author_type {item.get('author_type')!r} (contact, agent, system)")
    body = _text(item.get("body") if "body" in item else item.get("body_text"))
    html = _text(item.get("body_html")) or None
    if not body and not html:
        raise RowInvalid("body is empty")
    visibility = _text(item.get("visibility")).lower() or Visibility.PUBLIC.value
    if item.get("public") is False or visibility in ("private", "note"):
        visibility = Visibility.INTERNAL.value
    if visibility not in (Visibility.PUBLIC.value, Visibility.INTERNAL.value):
        raise RowInvalid(f"unknown visibility {visibility!r} (public, internal)")
    channel = _text(item.get("channel")).lower() or Channel.EMAIL.value
    if channel not in {c.value for c in Channel}:
        raise RowInvalid(f"unknown channel {channel!r}")
    when = _time(item, "created_at") or created_at
    return MessageIn(
        author_type=author,
        body_text=body,
        body_html=html,
        created_at=when,
        visibility=visibility,
        author_email=_email(item.get("author_email"), "author_email"),
        author_name=_text(item.get("author_name"))[:200],
        channel=channel,
    )
