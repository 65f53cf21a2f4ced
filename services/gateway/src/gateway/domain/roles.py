"""What each role may do through the gateway (decisions 0195, 0196): pure rules, no I/O.

- `admin`: everything, including configuration, the directory's agents and groups, and API keys.
- `agent`: works every case they may see; no configuration.
- `light_agent`: reads the cases of their own groups and writes internal notes on them, and keeps their own
  things (saved searches, notification settings, and whatever is under `/api/v1/me/` or `/profile`). Every
  other write is refused, deny by default: a write route added later is refused to light agents until it is
  named here.
"""

from __future__ import annotations

from contracts import errors
from contracts.cases import AgentRole

# (method, route path) a light agent may call besides reads
LIGHT_AGENT_WRITES = frozenset(
    {
        # internal notes only: the routes refuse a public reply (`refuse_public_reply`)
        ("POST", "/api/v1/cases/{case_id}/messages"),
        ("POST", "/cases/{case_id}/messages"),
        # "typing a note" on a case they have open (shown to its other viewers)
        ("POST", "/api/v1/cases/{case_id}/typing"),
        ("POST", "/cases/{case_id}/typing"),
        # their own saved searches, notifications and devices
        ("POST", "/api/v1/saved-searches"),
        ("PATCH", "/api/v1/saved-searches/{search_id}"),
        ("DELETE", "/api/v1/saved-searches/{search_id}"),
        ("POST", "/saved-searches"),
        ("POST", "/saved-searches/{search_id}/rename"),
        ("POST", "/saved-searches/{search_id}/delete"),
        ("POST", "/api/v1/notifications/read"),
        ("PUT", "/api/v1/notifications/preferences/{kind}/{channel}"),
        # their own account
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/logout/everywhere"),
        ("POST", "/password-reset"),
        ("POST", "/set-password/{token}"),
    }
)
# reads a light agent may not make: counts over every group, and the pages that start a new case
LIGHT_AGENT_READS_REFUSED = frozenset(
    {
        ("GET", "/api/v1/reports/open-cases"),
        ("GET", "/dashboard"),
        ("GET", "/cases/new"),
        ("GET", "/cases/new-email"),
        ("GET", "/templates"),
    }
)
READS = frozenset({"GET", "HEAD", "OPTIONS"})
# routes about the caller themselves (devices, SMS number, own API keys, the profile page): theirs to change
OWN_PREFIXES = ("/api/v1/me/", "/profile")


def role_of(*, is_admin: bool, agent_role: AgentRole | str | None) -> AgentRole:
    """The role a caller acts with: a light agent stays one; otherwise admin only when the caller is."""
    if agent_role == AgentRole.LIGHT_AGENT:
        return AgentRole.LIGHT_AGENT
    return AgentRole.ADMIN if is_admin else AgentRole.AGENT


def capped(*, key_is_admin: bool, agent_role: AgentRole | str) -> bool:
    """Whether a key acts as an admin: a key linked to an agent has at most that agent's role."""
    return key_is_admin and agent_role == AgentRole.ADMIN


def light_agent_may(method: str, path: str | None) -> bool:
    """True when a light agent may make this call (reads but a few, and the writes named above)."""
    if method in READS:
        return (method, path) not in LIGHT_AGENT_READS_REFUSED
    return (method, path) in LIGHT_AGENT_WRITES or (path or "").startswith(OWN_PREFIXES)


def forbidden(role: AgentRole | str, needed: AgentRole, doing: str) -> errors.DomainError:
    """403 `role_forbidden`: what the call needs and what the caller is."""
    needs = "an admin" if needed is AgentRole.ADMIN else "an agent or an admin"
    return errors.DomainError(
        errors.ROLE_FORBIDDEN,
        f"{doing[:1].upper()}{doing[1:]} needs {needs}; you act as {AgentRole(role).value.replace('_', ' ')}",
        {"role": AgentRole(role).value, "needed": needed.value},
    )


def require_admin(role: AgentRole | str, doing: str = "this call") -> None:
    if role != AgentRole.ADMIN:
        raise forbidden(role, AgentRole.ADMIN, doing)


def refuse_public_reply(role: AgentRole | str, public: bool) -> None:
    """A light agent writes internal notes only."""
    if public and role == AgentRole.LIGHT_AGENT:
        raise forbidden(role, AgentRole.AGENT, "a public reply")
