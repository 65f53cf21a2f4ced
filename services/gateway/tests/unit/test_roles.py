"""The rules of roles (decisions 0195, 0196): what a light agent may call, how a key is capped, the refusal."""

from __future__ import annotations

import pytest

from contracts import errors
from contracts.cases import AgentRole
from gateway.domain import roles


def test_a_light_agent_reads_writes_internal_notes_and_their_own_things_only() -> None:
    assert roles.light_agent_may("GET", "/api/v1/cases/{case_id}")
    assert roles.light_agent_may("POST", "/api/v1/cases/{case_id}/messages")
    assert roles.light_agent_may("POST", "/cases/{case_id}/messages")
    assert roles.light_agent_may("DELETE", "/api/v1/me/api-keys/{key_id}")
    assert roles.light_agent_may("POST", "/profile/signature")
    for method, path in (
        ("POST", "/api/v1/cases"),
        ("PATCH", "/api/v1/cases/{case_id}"),
        ("POST", "/cases/{case_id}"),
        ("POST", "/api/v1/cases/{case_id}/tasks"),
        ("POST", "/api/v1/groups"),
        ("POST", "/api/v1/a-route-added-later"),  # deny by default
        ("GET", "/dashboard"),
        ("GET", "/api/v1/reports/open-cases"),
        ("POST", None),  # no route matched
    ):
        assert not roles.light_agent_may(method, path), (method, path)


def test_a_key_acts_with_at_most_its_agents_role() -> None:
    assert roles.capped(key_is_admin=True, agent_role=AgentRole.ADMIN)
    assert not roles.capped(key_is_admin=True, agent_role=AgentRole.AGENT)
    assert not roles.capped(key_is_admin=True, agent_role=AgentRole.LIGHT_AGENT)
    assert not roles.capped(key_is_admin=False, agent_role=AgentRole.ADMIN)
    assert roles.role_of(is_admin=True, agent_role=None) is AgentRole.ADMIN
    assert roles.role_of(is_admin=False, agent_role=None) is AgentRole.AGENT
    assert roles.role_of(is_admin=True, agent_role="light_agent") is AgentRole.LIGHT_AGENT


def test_a_refusal_names_the_role_needed() -> None:
    with pytest.raises(errors.DomainError) as refused:
        roles.require_admin(AgentRole.AGENT, "POST /api/v1/groups")
    assert refused.value.code == errors.ROLE_FORBIDDEN and errors.http_status(refused.value.code) == 403
    assert refused.value.message == "POST /api/v1/groups needs an admin; you act as agent"
    assert refused.value.details == {"role": "agent", "needed": "admin"}
    roles.require_admin(AgentRole.ADMIN)
    with pytest.raises(errors.DomainError) as reply:
        roles.refuse_public_reply(AgentRole.LIGHT_AGENT, public=True)
    assert reply.value.details == {"role": "light_agent", "needed": "agent"}
    roles.refuse_public_reply(AgentRole.LIGHT_AGENT, public=False)
    roles.refuse_public_reply(AgentRole.AGENT, public=True)
