"""Phone numbers as cases compares them (A5: an SMS joins the open case of its number)."""

from __future__ import annotations

import re


def phone_key(value: str | None) -> str | None:
    """Digits with an optional leading +, 00 read as +; None when it is not a plausible number."""
    cleaned = re.sub(r"[\s().-]", "", value or "")
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    return cleaned if re.fullmatch(r"\+?[0-9]{6,15}", cleaned) else None


def sms_title(body: str, sender: str) -> str:
    """A case title from the first line of an SMS (a title is required; an empty SMS names its sender)."""
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    if not first:
        return f"SMS from {sender}"
    return first if len(first) <= 80 else first[:79].rstrip() + "…"
