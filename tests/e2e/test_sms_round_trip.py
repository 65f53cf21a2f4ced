"""SMS end to end (A5, E1, G3): a signed Twilio webhook opens a case; the agent's reply goes back by SMS."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator

from chassis.settings import repo_root
from chassis.testing import ServiceProcess

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(repo_root() / "services" / "notifications" / "tests"))
from look import wait_until
from notifications_testkit import FakeTwilio
from system import running_system

TWILIO_TOKEN = "e2e-twilio-auth-token"
WEBHOOK = "/webhooks/twilio/sms"


@pytest.fixture(scope="module")
def sms_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, FakeTwilio]]:
    """The whole system, with the gateway and notifications pointed at a local fake Twilio."""
    twilio = FakeTwilio(auth_token=TWILIO_TOKEN).start()
    try:
        with running_system(tmp_path_factory.mktemp("sms-system"), start=False) as (system, _sink):
            extra = {
                "notifications": {f"NOTIFICATIONS_{k.upper()}": v for k, v in twilio.settings.items()},
                "gateway": {"GATEWAY_TWILIO_AUTH_TOKEN": TWILIO_TOKEN},
            }
            for name, env in extra.items():
                package, command, port_key = system.LAYOUT[name]
                health = f"http://127.0.0.1:{system.ports[port_key]}/healthz"
                system.processes[name] = ServiceProcess(
                    package, command, {**system.env, **env}, health, system.var_dir / "logs"
                )
            system.start()
            yield system, twilio
    finally:
        twilio.stop()


def _send_sms(system: Any, *, sender: str, body: str) -> httpx.Response:
    form = {"MessageSid": f"SM{uuid.uuid4().hex}", "From": sender, "To": "+4790000000", "Body": body}
    url = system.env["GATEWAY_PUBLIC_URL"] + WEBHOOK
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, form)
    return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=30)


def test_an_sms_becomes_a_case_and_the_agents_reply_goes_back_by_sms(sms_system: tuple[Any, FakeTwilio]) -> None:
    system, twilio = sms_system
    api = system.api()
    number = f"+4792{uuid.uuid4().int % 10**6:06d}"
    marker = f"fibre{uuid.uuid4().hex[:6]}"
    assert _send_sms(system, sender=number, body=f"No {marker} connection since noon").status_code == 200

    def sms_case() -> dict[str, Any] | None:
        items = api.get("/api/v1/cases", params={"q": marker, "limit": 50}).json()["items"]
        return next((c for c in items if c["source"] == "sms"), None)

    case = wait_until(sms_case, what="the case from the SMS")
    assert case["title"] == f"No {marker} connection since noon"

    reply = api.post(f"/api/v1/cases/{case['id']}/messages", json={"body": "A technician is on the way."})
    assert reply.status_code == 201, reply.text
    [sms] = wait_until(lambda: twilio.to(number), what="the reply by SMS")
    assert sms["Body"] == f"A technician is on the way.\n(Case #{case['number']})"

    def delivered() -> list[tuple[str, str, str]] | None:  # Twilio answers before the status is committed
        items = api.get("/api/v1/deliveries", params={"case": case["id"]}).json()["items"]
        found = [(d["channel"], d["kind"], d["status"]) for d in items]
        return found if found and all(status != "queued" for _c, _k, status in found) else None

    assert wait_until(delivered, what="the SMS delivery settled") == [("sms", "reply", "sent")]

    # the customer answers by SMS: it lands on the same case, and no second case is opened
    assert _send_sms(system, sender=number, body="Thanks!").status_code == 200

    def answered() -> list[dict[str, Any]]:
        items = api.get(f"/api/v1/cases/{case['id']}/messages").json()["items"]
        return [m for m in items if m["body_text"] == "Thanks!"]

    [answer] = wait_until(answered, what="the answer on the same case")
    assert answer["channel"] == "sms" and answer["author_type"] == "contact"
    assert len([c for c in api.get("/api/v1/cases", params={"q": marker}).json()["items"]]) == 1
