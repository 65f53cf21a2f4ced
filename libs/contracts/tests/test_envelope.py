import pytest
from pydantic import ValidationError

from contracts.cases import CaseUpdate, MessageCreate
from contracts.envelope import Envelope
from contracts.portal import MagicLinkRequested


def test_envelope_carries_type_version_and_json_payload():
    payload = MagicLinkRequested(
        contact_id=1, email="a@example.com", link_url="http://x/auth/t", expires_at="2026-01-01T00:00:00Z"
    )
    env = Envelope.wrap(payload, source="portal", correlation_id="c1")
    assert env.event_type == "magic_link_requested" and env.version == 1 and env.source == "portal"
    again = Envelope.model_validate_json(env.model_dump_json())
    assert again.open(MagicLinkRequested).email == "a@example.com"


def test_consumers_ignore_fields_they_do_not_know():
    env = Envelope.model_validate(
        {"event_type": "x", "payload": {}, "a_future_field": 1, "event_id": "e", "occurred_at": "2026-01-01T00:00:00Z"}
    )
    assert env.event_id == "e"


def test_bad_rpc_input_is_refused():
    with pytest.raises(ValidationError):
        MessageCreate(body="", visibility="public")
    with pytest.raises(ValidationError):
        MessageCreate(body="hi", visibility="secret")
    with pytest.raises(ValidationError):
        CaseUpdate(status="bogus")
    with pytest.raises(ValidationError):
        CaseUpdate(unknown_field=1)
