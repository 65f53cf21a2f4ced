"""The case history page as one readable timeline (decisions 0110, 0148).

Changes come from the cases service as they are; a few rows are written for the agent to act on and get a
sentence instead of a field name: `required_fields_missing` (a customer's message opened the case without
fields an admin made required), `followers_not_added` (Cc addresses that did not become followers, and
why) and `mail_joined` (how a mail from someone not on the case joined it, decision 0220). Inbound mails of
the case (from the mail gateway's audit) join the timeline with the reason they landed here: which signed
or known reference threaded them, or that they opened a new case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts import mail_gateway as mg
from contracts.case_config import HistoryEntry

# how a mail found its case (mail_gateway.domain.thread_decision)
THREAD_REASONS = {
    "signed_message_id": "a reply to one of our mails (our signed Message-ID)",
    "signed_plus_address": "sent to this case's signed reply address",
    "signed_subject_token": "this case's signed token in the subject",
    "known_message_id": "a reply to a mail already on this case (known Message-ID)",
    "new_case": "nothing tied it to an existing case, so it opened a new one",
}

FIELD_NAMES = {
    "follower_ids": "followers",
    "type_id": "type",
    "category_id": "category",
    "group_id": "group",
    "owner_id": "owner",
    "priority": "priority",
    "due_at": "due date",
    "organisation_id": "organisation",
    "external_ref": "external reference",
    "tags": "tags",
    "message_made_public": "mail made public",
}


@dataclass(frozen=True)
class TimelineRow:
    when: datetime
    who: str
    channel: str
    what: str
    old: str
    new: str
    css: str = ""
    note: str = ""  # a sentence for the agent under the row


def field_name(name: str) -> str:
    """`custom_fields.contract` -> "contract (custom field)"; built-in names in words."""
    name = name.strip()
    if name.startswith("custom_fields."):
        return f"{name.removeprefix('custom_fields.')} (custom field)"
    return FIELD_NAMES.get(name, name.replace("_", " "))


def history_row(entry: HistoryEntry) -> TimelineRow:
    who = entry.actor_name or entry.actor_type.value
    old = entry.old_value if entry.old_value is not None else "—"
    new = entry.new_value if entry.new_value is not None else "—"
    base = {"when": entry.created_at, "who": who, "channel": entry.channel.value}
    if entry.field == "required_fields_missing":
        fields = ", ".join(field_name(f) for f in (entry.new_value or "").split(",") if f.strip())
        return TimelineRow(
            **base,
            what="Required fields still empty",
            old="—",
            new=fields or "—",
            css="history-notice",
            note="The customer's message opened the case without them (a message is never refused for a "
            "form setting); fill them in.",
        )
    if entry.field == "followers_not_added":
        addresses, _, reason = (entry.new_value or "").partition(" (")
        return TimelineRow(
            **base,
            what="Cc not added as followers",
            old="—",
            new=addresses or "—",
            css="history-notice",
            note=f"Why: {reason.rstrip(')')}." if reason else "",
        )
    if entry.field == "mail_joined":
        how, _, why = (entry.new_value or "").partition(": ")
        return TimelineRow(
            **base,
            what="Mail from someone not on this case",
            old=entry.old_value or "—",
            new=how or "—",
            css="history-notice",
            note=f"Why: {why}." if why else "",
        )
    return TimelineRow(**base, what=entry.field, old=old, new=new)


def mail_row(mail: mg.InboundMailRead, case_id: int) -> TimelineRow:
    reason = mail.thread_reason or "new_case"
    if mail.thread_case_id is not None and mail.thread_case_id != case_id:
        why = (
            f"it answers case {mail.thread_case_id} ({THREAD_REASONS.get(reason, reason)}), but its sender is "
            "not on that case, so it opened this one"
        )
    else:
        why = THREAD_REASONS.get(reason, reason.replace("_", " "))
    kind = f" ({mail.kind.value.replace('_', ' ')})" if mail.kind is not None and mail.kind.value != "normal" else ""
    return TimelineRow(
        when=mail.received_at,
        who=mail.from_email or mail.mail_from or "unknown sender",
        channel=f"email via {mail.source}",
        what=f"Mail received{kind}",
        old="—",
        new=mail.subject or "(no subject)",
        css="history-mail",
        note=f"Why here: {why}.",
    )


def timeline(history: list[HistoryEntry], mails: list[mg.InboundMailRead], case_id: int) -> list[TimelineRow]:
    """History rows and the case's inbound mails, newest first."""
    rows = [history_row(h) for h in history] + [mail_row(m, case_id) for m in mails]
    return sorted(rows, key=lambda r: r.when, reverse=True)
