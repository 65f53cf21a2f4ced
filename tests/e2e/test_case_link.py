"""The signed case link in the confirmation (D5, decision 0100), end to end over real SMTP and HTTP: it opens that
case in the portal without a sign-in, and nothing else; a tampered or expired link gets a clear refusal.
"""

from __future__ import annotations

import re
import time
import uuid

import httpx
from look import case_titled as _case_titled
from look import wait_until
from mail import customer_mail, deliver
from system import SECRET

from contracts.tokens import make_case_link_token


def test_the_confirmation_link_opens_that_case_only_and_refuses_tampered_or_expired_links(system):
    sys_, sink = system
    api = sys_.api()
    tag = uuid.uuid4().hex[:8]
    siri = f"siri.{tag}@customer.example"
    mine = customer_mail(
        sender=f"Siri <{siri}>", subject=f"Skjermen blinker {tag}", body="Skjermen blinker hele dagen."
    )
    deliver(sys_.smtp_port, mine)
    case = wait_until(lambda: _case_titled(api, mine["Subject"]), what="Siri's case")
    other = api.post(
        "/api/v1/cases", json={"title": f"Tors hemmelige sak {tag}", "requester_email": "tor@other.example"}
    )
    assert other.status_code == 201, other.text
    other_case = other.json()
    note = api.post(
        f"/api/v1/cases/{case['id']}/messages", json={"body": "INTERNAL: VIP, be quick", "visibility": "internal"}
    )
    assert note.status_code == 201, note.text

    confirmation = sink.wait_for(lambda m: m["To"] and siri in m["To"], what="confirmation")
    text = confirmation.get_body(("plain",)).get_content()
    [link] = re.findall(r"https?://\S+/c/[0-9a-f.]+", text)
    assert link.startswith(sys_.portal_url)
    assert f'href="{link}"' in confirmation.get_body(("html",)).get_content()

    with httpx.Client(timeout=30) as portal:
        opened = portal.get(link, follow_redirects=True)
        assert opened.status_code == 200
        assert str(opened.url) == f"{sys_.portal_url}/cases/{case['id']}"
        assert mine["Subject"] in opened.text and "Skjermen blinker hele dagen." in opened.text
        assert "VIP, be quick" not in opened.text
        # the session the link opened is for this case alone: not the list, not another case
        home = portal.get(f"{sys_.portal_url}/", follow_redirects=False)
        assert home.status_code == 303 and home.headers["location"] == f"/cases/{case['id']}"
        elsewhere = portal.get(f"{sys_.portal_url}/cases/{other_case['id']}", follow_redirects=False)
        assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/login"
        assert "hemmelige" not in elsewhere.text
        # ... where the customer can still ask for a full sign-in
        assert "csrf_token" in portal.get(f"{sys_.portal_url}/login", follow_redirects=False).text
        # ... and the customer can answer through it
        page = portal.get(f"{sys_.portal_url}/cases/{case['id']}")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        answer = portal.post(
            f"{sys_.portal_url}/cases/{case['id']}/messages",
            data={"body": f"Svar via lenken {tag}", "csrf_token": csrf.group(1)},
            follow_redirects=False,
        )
        assert answer.status_code == 303
    listed = api.get(f"/api/v1/cases/{case['id']}/messages")
    assert listed.status_code == 200, listed.text
    messages = listed.json()
    items = messages["items"] if isinstance(messages, dict) else messages
    assert any(m["body_text"] == f"Svar via lenken {tag}" and m["author_type"] == "contact" for m in items)

    token = link.rsplit("/", 1)[1]
    case_id, contact_id, expires, sig = token.split(".")
    contact = int(contact_id)
    assert int(case_id) == case["id"] and contact == case["requester"]["id"]
    assert int(expires) > time.time() + 3600  # NOTIFICATIONS_CASE_LINK_TTL_SECONDS: 30 days by default
    refusals = {
        # another case in an otherwise genuine link
        "invalid": f"{sys_.portal_url}/c/{other_case['id']}.{contact_id}.{expires}.{sig}",
        # correctly signed, but over
        "expired": f"{sys_.portal_url}/c/"
        + make_case_link_token(case_id=case["id"], contact_id=contact, expires_at=int(time.time()) - 1, secret=SECRET),
    }
    for reason, bad in refusals.items():
        with httpx.Client(timeout=30) as fresh:
            refused = fresh.get(bad, follow_redirects=False)
            assert refused.status_code == 400, (reason, refused.text)
            assert ("has expired" in refused.text) == (reason == "expired")
            assert ("is not valid" in refused.text) == (reason == "invalid")
            assert "Skjermen blinker" not in refused.text and "hemmelige" not in refused.text
            # nothing was opened: the case still asks for a sign-in
            after = fresh.get(f"{sys_.portal_url}/cases/{case['id']}", follow_redirects=False)
            assert after.status_code == 303 and after.headers["location"] == "/login"

    # even a correctly signed link naming someone else's case shows nothing: cases checks ownership
    forged = make_case_link_token(
        case_id=other_case["id"], contact_id=contact, expires_at=int(time.time()) + 600, secret=SECRET
    )
    with httpx.Client(timeout=30) as fresh:
        not_theirs = fresh.get(f"{sys_.portal_url}/c/{forged}", follow_redirects=False)
        assert not_theirs.status_code == 404
        assert "hemmelige" not in not_theirs.text
        after = fresh.get(f"{sys_.portal_url}/cases/{other_case['id']}", follow_redirects=False)
        assert after.status_code == 303
