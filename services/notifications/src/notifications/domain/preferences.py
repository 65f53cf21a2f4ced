"""Per-agent preferences per event and channel (E2): what is on unless the agent turned it off."""

from __future__ import annotations

from collections.abc import Mapping

from contracts.errors import ValidationFailed
from notifications.domain.agent_alerts import ASSIGNED_TO_ME, CUSTOMER_REPLIED, NEW_CASE_IN_GROUP

KINDS = (NEW_CASE_IN_GROUP, ASSIGNED_TO_ME, CUSTOMER_REPLIED)
IN_APP = "in_app"
EMAIL = "email"
CHANNELS = (IN_APP, EMAIL)
# in-app is quiet and on by default; mail to agents is opt-in (their inbox is not our log)
DEFAULTS: Mapping[tuple[str, str], bool] = {
    **{(kind, IN_APP): True for kind in KINDS},
    **{(kind, EMAIL): False for kind in KINDS},
}


def validate(kind: str, channel: str) -> None:
    """ValidationFailed for an event or channel we do not notify through (push and SMS are not built yet)."""
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
