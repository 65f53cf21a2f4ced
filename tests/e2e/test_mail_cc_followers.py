"""CC over real SMTP (A2, E6): Cc'd people follow the case, a reply-all joins it, a stranger's mail joins it
internally (decision 0220)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from look import messages, wait_until
from mail import customer_mail, deliver


def cases_titled(api: httpx.Client, title: str) -> list[dict[str, Any]]:
    # the system is this module's own, so the newest 100 cases hold every case the test made
    response = api.get("/api/v1/cases", params={"limit": 100})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    return [c for c in items if c["title"] == title]


def test_cc_follow_the_case_a_reply_all_joins_and_a_stranger_joins_internally(system):
    sys_, _sink = system
    api = sys_.api()
    tag = uuid.uuid4().hex[:6]
    first = customer_mail(sender=f"Nina <nina.{tag}@customer.example>", subject=f"VPN down {tag}", body="No VPN.")
    # a colleague and our own second address on Cc; a manager on Bcc (never in a header)
    first["Cc"] = f"Ola <ola.{tag}@customer.example>, Support <support+x@example.com>"
    deliver(sys_.smtp_port, first)
    [case] = wait_until(lambda: cases_titled(api, first["Subject"]), what="case from mail")
    full = api.get(f"/api/v1/cases/{case['id']}").json()
    assert [f["email"] for f in full["followers"]] == [f"ola.{tag}@customer.example"]

    # Ola answers with reply-all: In-Reply-To is Nina's mail, so the thread is known; Ola follows the case
    reply_all = customer_mail(
        sender=f"Ola <ola.{tag}@customer.example>",
        subject=f"Re: {first['Subject']}",
        body="Same here since this morning.",
        in_reply_to=first["Message-ID"],
        references=[first["Message-ID"]],
    )
    reply_all["Cc"] = f"nina.{tag}@customer.example, support@example.com"
    deliver(sys_.smtp_port, reply_all)
    wait_until(
        lambda: any("Same here" in m["body_text"] for m in messages(api, case["id"])), what="reply-all on the case"
    )
    assert cases_titled(api, reply_all["Subject"]) == []

    # someone who is not on the case answers on the same thread: an internal entry of Nina's case, flagged
    stranger = customer_mail(
        sender=f"Eve <eve.{tag}@elsewhere.example>",
        subject=f"Re: {first['Subject']} (fwd)",
        body="I was forwarded this.",
        in_reply_to=first["Message-ID"],
        references=[first["Message-ID"]],
    )
    deliver(sys_.smtp_port, stranger)
    [entry] = wait_until(
        lambda: [m for m in messages(api, case["id"]) if "forwarded this" in m["body_text"]], what="stranger's mail"
    )
    assert (entry["visibility"], entry["from_outsider"]) == ("internal", True)
    assert cases_titled(api, stranger["Subject"]) == []
