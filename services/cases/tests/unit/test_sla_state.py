"""The timer's view of a case's SLA state from its stored targets (B13): moves with time, no history needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cases.sla.tables import CaseSlaTarget
from cases.sla.writes import state_from_targets
from contracts.sla import SlaState

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _target(state: str, due: float | None = None, warn: float | None = None, breached: bool = False) -> CaseSlaTarget:
    return CaseSlaTarget(
        metric="resolution",
        state=state,
        due_at=NOW + timedelta(hours=due) if due is not None else None,
        warn_at=NOW + timedelta(hours=warn) if warn is not None else None,
        breached=breached,
    )


def test_state_from_targets() -> None:
    assert state_from_targets([], NOW) == SlaState.NONE
    assert state_from_targets([_target("running", due=2, warn=1)], NOW) == SlaState.OK
    assert state_from_targets([_target("running", due=2, warn=-1)], NOW) == SlaState.WARNING
    assert state_from_targets([_target("running", due=-1, warn=-2)], NOW) == SlaState.BREACHED
    assert state_from_targets([_target("paused"), _target("met")], NOW) == SlaState.PAUSED
    assert state_from_targets([_target("met"), _target("stopped")], NOW) == SlaState.MET
    # a target met late keeps the case breached while the other one runs on time
    assert state_from_targets([_target("met", breached=True), _target("running", due=5, warn=4)], NOW) == (
        SlaState.BREACHED
    )
