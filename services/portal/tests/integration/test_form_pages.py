"""Department form pages over HTTP against the real cases worker: each contact has their own draft (another
never sees it), every POST needs the CSRF token, an unpublished form is not found, and a form sent while cases
is down opens its case once cases is back."""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from portal_testing import PortalClient, Stack, sign_in

from chassis.testing import wait_until

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def form(stack: Stack) -> dict[str, Any]:
    data = {
        "name": "Facilities",
        "published": True,
        "pages": [
            {
                "title": "Where",
                "fields": [
                    {"key": "subject", "label": "Subject", "type": "text", "required": True, "maps_to": "title"}
                ],
            },
            {"title": "More", "fields": [{"key": "note", "label": "Note", "type": "textarea"}]},
        ],
    }
    result: dict[str, Any] = stack.rpc.call("cases", "save_form", data=data)
    return result


def _contact(stack: Stack, name: str) -> tuple[PortalClient, int]:
    email = stack.email(f"{name}-{uuid.uuid4().hex[:6]}")
    case = stack.create_case(email=email, title=f"{name}'s first case")
    return sign_in(stack, email), case["requester"]["id"]


def _post(client: PortalClient, form_id: int, page: int, go: str, **answers: str) -> Any:
    token = _CSRF.search(client.http.get(f"/forms/{form_id}?page={page}").text)
    assert token is not None
    # as a browser sends it: the answers, and which questions the page showed
    fields = [(f"f_{key}", value) for key, value in answers.items()] + [("shown", key) for key in answers]
    body = [("csrf_token", token.group(1)), ("page", str(page)), ("go", go), *fields]
    return client.http.post(
        f"/forms/{form_id}", content=urlencode(body), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )


def test_a_draft_is_its_contacts_only_and_every_post_needs_the_csrf_token(stack: Stack, form: dict[str, Any]) -> None:
    ann, _ = _contact(stack, "ann")
    bob, _ = _contact(stack, "bob")
    tag = uuid.uuid4().hex[:6]
    moved = _post(ann, form["id"], 0, "next", subject=f"Ann secret {tag}")
    assert moved.status_code == 303 and moved.headers["location"] == f"/forms/{form['id']}?page=1"
    assert f"Ann secret {tag}" in ann.http.get(f"/forms/{form['id']}?page=0").text
    for page in (0, 1):
        assert f"Ann secret {tag}" not in bob.http.get(f"/forms/{form['id']}?page={page}").text
    # a forged POST (no token) is refused and changes nothing
    forged = ann.http.post(f"/forms/{form['id']}", data={"page": "0", "go": "next", "f_subject": "forged"})
    assert forged.status_code == 403
    assert f"Ann secret {tag}" in ann.http.get(f"/forms/{form['id']}?page=0").text
    # a body far larger than the form's files can weigh is refused before it is read
    huge = ann.http.post(f"/forms/{form['id']}", data={"page": "0", "f_subject": "x" * (3 * 1024 * 1024)})
    assert huge.status_code == 413 and "Files too large" in huge.text
    # signed out: the sign-in page; unknown or unpublished: not found
    anonymous = stack.client()
    assert anonymous.http.get(f"/forms/{form['id']}").headers["location"] == "/login"
    assert ann.http.get("/forms/999999").status_code == 404
    hidden = stack.rpc.call("cases", "save_form", data={**_definition(form), "published": False})
    assert ann.http.get(f"/forms/{hidden['id']}").status_code == 404


def _definition(form: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Hidden", "published": True, "pages": form["pages"]}


def test_a_form_sent_while_cases_is_down_opens_its_case_when_cases_is_back(stack: Stack, form: dict[str, Any]) -> None:
    assert stack.cases_process is not None
    cara, contact_id = _contact(stack, "cara")
    tag = uuid.uuid4().hex[:6]
    assert _post(cara, form["id"], 0, "next", subject=f"Broken door {tag}").status_code == 303
    token = _CSRF.search(cara.http.get(f"/forms/{form['id']}?page=1").text)
    assert token is not None
    stack.cases_process.stop()
    try:
        sent = cara.http.post(
            f"/forms/{form['id']}",
            data={"csrf_token": token.group(1), "page": "1", "go": "send", "f_note": "Room 12", "shown": "note"},
        )
        assert sent.status_code == 303 and sent.headers["location"] == f"/forms/{form['id']}/sent"
        stack.events.wait_for("form_submitted", timeout=15, contact_id=contact_id)
    finally:
        stack.cases_process.start(timeout=60)

    def opened() -> list[dict[str, Any]]:
        page = stack.rpc.call("cases", "list_cases_for_contact", contact_id=contact_id)
        return [c for c in page["items"] if c["title"] == f"Broken door {tag}"]

    [case] = wait_until(opened, timeout=30, what="the case of the form sent while cases was down")
    full = stack.rpc.call("cases", "get_case", case_id=case["id"])
    assert [(a["key"], a["value"]) for a in full["form"]["answers"]] == [
        ("subject", f"Broken door {tag}"),
        ("note", "Room 12"),
    ]
    # the draft is gone: the form starts empty again
    assert f"Broken door {tag}" not in cara.http.get(f"/forms/{form['id']}").text


def test_sending_is_rate_limited_per_contact_and_the_answers_stay(stack: Stack, form: dict[str, Any]) -> None:
    dan, contact_id = _contact(stack, "dan")
    tag = uuid.uuid4().hex[:6]
    for n in range(3):
        assert _post(dan, form["id"], 0, "next", subject=f"Request {n} {tag}").status_code == 303
        sent = _post(dan, form["id"], 1, "send", note=f"note {n}")
        if n < 2:  # PORTAL_FORM_SUBMIT_RATE_LIMIT in conftest
            assert sent.status_code == 303, sent.text
    assert sent.status_code == 429
    assert "Your answers are kept" in sent.text and "note 2" in sent.text
    assert f"Request 2 {tag}" in dan.http.get(f"/forms/{form['id']}?page=0").text
    events = stack.events.wait_for("form_submitted", count=2, timeout=15, contact_id=contact_id)
    assert len(events) == 2
