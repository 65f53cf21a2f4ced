"""Per-agent preferences per event and channel (E2): what is on unless the agent turned it off."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.errors import ValidationFailed
from notifications.domain.agent_alerts import (
    ASSIGNED_TO_ME,
    CUSTOMER_REPLIED,
    MENTIONED,
    NEW_CASE_IN_GROUP,
    SLA_BREACHED,
    SLA_WARNING,
    TASK_ASSIGNED,
)

KINDS = (NEW_CASE_IN_GROUP, ASSIGNED_TO_ME, CUSTOMER_REPLIED, MENTIONED, TASK_ASSIGNED, SLA_WARNING, SLA_BREACHED)
IN_APP = "in_app"
EMAIL = "email"
PUSH = "push"
SMS = "sms"
CHANNELS = (IN_APP, EMAIL, PUSH, SMS)
# in-app is quiet and on by default; mail to agents is opt-in (their inbox is not our log); push reaches only
# browsers the agent subscribed, which is the opt-in, so every kind is on until they turn it off (decision 0097)
DEFAULTS: Mapping[tuple[str, str], bool] = {
    **{(kind, IN_APP): True for kind in KINDS},
    **{(kind, EMAIL): False for kind in KINDS},
    **{(kind, PUSH): True for kind in KINDS},
    # an SMS costs money and wakes people: only what the agent asked for (decision 0099)
    **{(kind, SMS): False for kind in KINDS},
}


def validate(kind: str, channel: str) -> None:
    """ValidationFailed for an event or channel we do not notify through."""
    if kind not in KINDS or channel not in CHANNELS:
        raise ValidationFailed(
            message="unknown notification kind or channel",
            details={"kind": kind, "channel": channel, "kinds": list(KINDS), "channels": list(CHANNELS)},
        )


def wanted(kind: str, channel: str, choices: Mapping[tuple[str, str], bool]) -> bool:
    """Whether the agent gets `kind` through `channel`: their choice, else the default."""
    return choices.get((kind, channel), DEFAULTS.get((kind, channel), False))


def effective(choices: Mapping[tuple[str, str], bool]) -> dict[str, dict[str, bool]]:
    """Every kind and channel with the agent's resulting setting (what the API shows)."""
    return {kind: {channel: wanted(kind, channel, choices) for channel in CHANNELS} for kind in KINDS}
