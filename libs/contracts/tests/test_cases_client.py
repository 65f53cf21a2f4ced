import asyncio
import json
from typing import Any

import pytest

from contracts.cases import Actor, AuthorType, CaseUpdate, Visibility
from contracts.cases_client import CasesClient, CasesRpc, ContactCasesClient, SyncCasesClient
from contracts.rpc import declared
from contracts.search import Viewer

CASE = {
    "id": 7,
    "number": 7,
    "title": "Printer",
    "status": "new",
    "priority": "medium",
    "source": "api",
    "version": 1,
    "created_at": "2026-01-01T00:00:00Z",
    "updated_at": "2026-01-01T00:00:00Z",
}


class FakeAsyncTransport:
    """Records calls and answers from a table, as chassis.rpc_client.RpcClient would after decoding."""

    def __init__(self, replies: dict[str, Any]) -> None:
        self.replies = replies
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    async def call(self, service: str, method: str, **kwargs: Any) -> Any:
        self.calls.append((service, method, kwargs))
        return self.replies[method]

    async def call_json(self, service: str, method: str, **kwargs: Any) -> bytes:
        self.calls.append((service, method, kwargs))
        return json.dumps(self.replies[method]).encode()


class FakeSyncTransport:
    def __init__(self, replies: dict[str, Any]) -> None:
        self.replies = replies
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, method: str, **kwargs: Any) -> Any:
        self.calls.append((method, kwargs))
        return self.replies[method]


ACTOR = Actor(type=AuthorType.AGENT, id=3)


def test_async_client_sends_the_set_fields_of_models_and_validates_the_reply():
    transport = FakeAsyncTransport({"update_case": CASE})
    cases = CasesClient(transport)
    changed = asyncio.run(
        cases.update_case(case_id=7, changes=CaseUpdate(assignee_id=None), expected_version=1, actor=ACTOR)
    )
    assert changed.id == 7 and changed.title == "Printer"
    (service, method, kwargs), *_ = transport.calls
    assert (service, method) == ("cases", "update_case")
    # an explicit null travels, the fields left unset do not: "unassign" differs from "leave as is"
    assert kwargs["changes"] == {"assignee_id": None}
    assert kwargs["actor"] == ACTOR.model_dump(mode="json", exclude_unset=True)
    assert kwargs["case_id"] == 7 and kwargs["expected_version"] == 1


def test_only_the_arguments_passed_are_sent_and_enums_travel_as_values():
    transport = FakeAsyncTransport({"list_messages": []})
    assert asyncio.run(CasesClient(transport).list_messages(case_id=1, visibility=Visibility.PUBLIC)) == []
    assert transport.calls == [("cases", "list_messages", {"case_id": 1, "visibility": "public"})]


def test_a_hot_read_can_return_the_reply_bytes_untouched():
    transport = FakeAsyncTransport({"get_case": CASE})
    body = asyncio.run(CasesClient(transport).get_case.json(case_id=7, viewer=Viewer(agent_id=3, is_admin=False)))
    assert json.loads(body) == CASE
    assert transport.calls == [("cases", "get_case", {"case_id": 7, "viewer": {"agent_id": 3, "is_admin": False}})]


def test_methods_without_a_result_return_none():
    transport = FakeAsyncTransport({"delete_group": {"ignored": True}})
    assert asyncio.run(CasesClient(transport).delete_group(group_id=2)) is None


def test_positional_arguments_are_refused():
    cases = CasesClient(FakeAsyncTransport({"get_case": CASE}))
    with pytest.raises(TypeError, match="keyword arguments only"):
        asyncio.run(cases.get_case(7))  # type: ignore[call-arg]


def test_the_sync_client_shares_the_declaration():
    transport = FakeSyncTransport({"case_facts": {"items": [], "missing": []}, "template_of_case": None})
    cases = SyncCasesClient(transport)
    assert cases.template_of_case(case_id=1) is None
    cases.case_facts(case_ids=[1, 2])
    assert transport.calls == [("template_of_case", {"case_id": 1}), ("case_facts", {"case_ids": [1, 2]})]
    assert set(declared(SyncCasesClient)) == set(declared(CasesClient)) == set(declared(CasesRpc))


def test_every_declared_method_takes_keyword_arguments_only():
    for name, method in declared(CasesRpc).items():
        kinds = {p.kind.name for p in method.parameters().values()}
        assert kinds <= {"KEYWORD_ONLY"}, name


def test_the_contact_client_has_only_the_contact_scoped_methods_and_shows_only_public_messages():
    message = {
        "id": 1,
        "case_id": 7,
        "body_text": "hello",
        "author_type": "contact",
        "channel": "portal",
        "created_at": "2026-01-01T00:00:00Z",
    }
    reply = {
        "case": CASE,
        "messages": [{**message, "visibility": "public"}, {**message, "id": 2, "visibility": "internal"}],
    }
    cases = ContactCasesClient(FakeAsyncTransport({"get_case_for_contact": reply}))
    view = asyncio.run(cases.get_case_for_contact(case_id=7, contact_id=4))
    assert [m.id for m in view.messages] == [1]  # an internal note cases let through by mistake is dropped
    assert set(declared(ContactCasesClient)) == {
        "get_contact_by_email",
        "list_cases_for_contact",
        "get_case_for_contact",
        "add_contact_message",
        # published department forms: the same for every contact, never an unpublished one
        "list_published_forms",
        "get_published_form",
        "get_portal_contact",
        "register_contact",
        "get_portal_branding",
    }
    assert not hasattr(cases, "get_case")
    assert not hasattr(cases, "get_form") and not hasattr(cases, "save_form")
    assert not hasattr(cases, "save_portal_branding")  # branding is set in the admin console only
