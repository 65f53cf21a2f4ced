"""The mail that carries an agent's invitation or password-reset link: automatic, secret, unthreaded."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes, policy

from notifications.deliveries.rules import SECRET_KINDS
from notifications.mail import compose
from notifications.mail.agent_access import CONTACT_KIND, INVITE_KIND, RESET_KIND
from notifications.safety.rules import is_automatic

LINK = "https://desk.example.com/set-password/abc.def"


def test_the_link_mail_names_the_agent_the_link_and_its_expiry() -> None:
    mail = compose.agent_access_link(
        to=compose.Mailbox("ingrid@example.com", "Ingrid"),
        sender=compose.Mailbox("support@example.com", "Support"),
        subject="You are invited to the help desk",
        intro="Admin invited you to work as an agent on the help desk.",
        action="Choose your password",
        link_url=LINK,
        expires_at=datetime(2026, 12, 8, 14, 0, tzinfo=UTC),
        message_id="ag.1@example.com",
        date=datetime(2026, 12, 7, 14, 0, tzinfo=UTC),
    )
    msg = message_from_bytes(mail.raw, policy=policy.default)
    assert msg["Subject"] == "You are invited to the help desk"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["In-Reply-To"] is None and msg["References"] is None
    text = msg.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Hello Ingrid," in text and LINK in text and "2026-12-08 14:00 UTC" in text
    html = msg.get_body(preferencelist=("html",)).get_content()  # type: ignore[union-attr]
    assert f'href="{LINK}"' in html


def test_link_mails_are_automatic_and_their_bytes_are_dropped_once_sent() -> None:
    for kind in (INVITE_KIND, RESET_KIND, CONTACT_KIND):
        assert is_automatic(kind)
        assert kind in SECRET_KINDS
