"""Every RPC of the cases service, with its parameter names: callers (gateway, portal, reports, notifications,
the typed clients) name them, so a rename or a lost entrypoint fails here first."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from nameko.rpc import Rpc

from cases.worker import CasesService
from contracts.errors import ValidationFailed

RPCS: dict[str, tuple[str, ...]] = {
    "add_attachment": ("case_id", "filename", "content_base64", "actor", "content_type", "message_id"),
    "add_contact_message": ("case_id", "contact_id", "body"),
    "add_message": ("case_id", "data", "actor"),
    "add_sender_as_follower": ("case_id", "message_id", "actor"),
    "add_task": ("case_id", "data", "actor"),
    "agent_time": ("agent_id", "viewer"),
    "attachment_limit": (),
    "case_facts": ("case_ids",),
    "case_from_template": ("template_id", "data", "actor"),
    "case_links": ("case_id", "viewer"),
    "case_time": ("case_id",),
    "change_form": ("form_id", "changes", "expected_version"),
    "close_with_children": ("case_id", "actor", "viewer"),
    "create_canned_reply": ("data",),
    "create_case": ("data", "actor", "idempotency_key"),
    "create_recurrence": ("data",),
    "create_saved_search": ("viewer", "data"),
    "create_template": ("data",),
    "decide_approval": ("task_id", "contact_id", "decision"),
    "delete_business_calendar": ("calendar_id",),
    "delete_canned_reply": ("reply_id",),
    "delete_form": ("form_id",),
    "delete_group": ("group_id",),
    "delete_saved_search": ("viewer", "search_id"),
    "delete_sla_policy": ("policy_id",),
    "forward_case": ("case_id", "data", "actor"),
    "get_agent": ("agent_id",),
    "get_agent_by_email": ("email",),
    "get_attachment": ("case_id", "attachment_id"),
    "get_case": ("case_id", "viewer"),
    "get_case_for_contact": ("case_id", "contact_id"),
    "get_case_history": ("case_id",),
    "get_case_settings": (),
    "get_case_sla": ("case_id", "viewer"),
    "get_contact": ("contact_id",),
    "get_contact_by_email": ("email",),
    "get_form": ("form_id",),
    "get_published_form": ("form_id",),
    "get_portal_contact": ("contact_id",),
    "register_contact": ("email", "name"),
    "get_portal_branding": ("organisation_id", "effective"),
    "save_portal_branding": ("organisation_id", "data", "logo", "remove_logo"),
    "get_saved_search": ("viewer", "search_id"),
    "health": (),
    "link_cases": ("case_id", "data", "actor"),
    "list_agents": (),
    "list_approvals_for_contact": ("contact_id",),
    "list_attachments": ("case_id",),
    "list_business_calendars": (),
    "list_canned_replies": (),
    "list_case_statuses": (),
    "list_case_types": (),
    "list_case_sources": (),
    "list_cases": ("filters", "viewer"),
    "list_cases_for_contact": ("contact_id", "cursor", "limit", "q", "closed", "organisation"),
    "list_contacts": ("q", "approved", "organisation_id", "cursor", "limit"),
    "list_custom_fields": (),
    "list_field_configs": (),
    "list_forms": (),
    "list_groups": (),
    "list_groups_detail": (),
    "list_messages": ("case_id", "visibility", "viewer"),
    "list_organisations": (),
    "list_published_forms": (),
    "list_recurrences": (),
    "list_saved_searches": ("viewer", "counts"),
    "list_signatures": (),
    "list_sla_policies": (),
    "list_tasks": ("case_id",),
    "list_templates": (),
    "list_views": ("viewer",),
    "log_time": ("case_id", "data", "actor"),
    "make_message_public": ("case_id", "message_id", "actor"),
    "merge_cases": ("case_id", "duplicate_id", "actor"),
    "resolve_signature": ("agent_id", "mailbox"),
    "save_agent": ("data", "agent_id"),
    "save_business_calendar": ("data", "calendar_id"),
    "save_case_status": ("data", "status_id"),
    "save_case_type": ("data", "type_id"),
    "save_case_source": ("key", "data"),
    "save_contact": ("data", "actor", "contact_id"),
    "save_custom_field": ("data", "field_id"),
    "save_field_config": ("data",),
    "save_form": ("data", "form_id", "expected_version"),
    "save_group": ("data", "group_id"),
    "save_organisation": ("data", "organisation_id"),
    "save_sla_policy": ("data", "policy_id"),
    "saved_search_cases": ("viewer", "search_id", "cursor", "limit"),
    "saved_search_count": ("viewer", "search_id"),
    "search_cases": ("viewer", "q", "cursor", "limit"),
    "set_signature": ("data",),
    "sla_at_risk_count": ("viewer",),
    "start_timer": ("case_id", "actor", "billable"),
    "stop_timer": ("case_id", "actor"),
    "template_from_case": ("case_id", "data"),
    "template_of_case": ("case_id",),
    "update_case": ("case_id", "changes", "expected_version", "actor"),
    "update_case_settings": ("changes",),
    "update_recurrence": ("recurrence_id", "changes"),
    "update_saved_search": ("viewer", "search_id", "changes"),
    "update_task": ("case_id", "task_id", "changes", "actor"),
    "update_template": ("template_id", "data"),
    "view_cases": ("viewer", "key", "cursor", "limit"),
}


def _rpcs() -> dict[str, Any]:
    found = {}
    for name in dir(CasesService):
        entrypoints = getattr(getattr(CasesService, name), "nameko_entrypoints", ())
        if any(isinstance(e, Rpc) for e in entrypoints):
            found[name] = getattr(CasesService, name)
    return found


def test_every_rpc_is_an_entrypoint_of_the_service() -> None:
    assert sorted(_rpcs()) == sorted(RPCS)


def test_every_rpc_keeps_its_keyword_parameters() -> None:
    for name, method in _rpcs().items():
        parameters = inspect.signature(method).parameters.values()
        assert tuple(p.name for p in parameters if p.kind is p.KEYWORD_ONLY) == RPCS[name], name


def test_constraints_of_annotated_parameters_are_checked_before_the_call() -> None:
    """`limit: PageLimit` (1..100) and `q` (at most 200 characters) refuse a bad value as the argument's own error."""
    service = CasesService()
    for call, name in (
        (lambda: service.list_cases_for_contact(contact_id=1, limit=0), "limit"),
        (lambda: service.search_cases(viewer={"agent_id": 1}, q="x" * 201), "q"),
    ):
        with pytest.raises(ValidationFailed) as info:
            call()
        assert info.value.message == f"{name} is invalid"
        assert info.value.details[0]["loc"][0] == name
