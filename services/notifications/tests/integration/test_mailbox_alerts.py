"""A mailbox whose OAuth2 sign-in failed (`mailbox_oauth_failed` from the mail gateway) is told to every admin by
mail, once, with the provider's reason and the mailbox's page; agents who are not admins are not told."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cases_kit import Cases
from notifications_testkit import Publisher, SmtpSink, Worker, running_worker, wait_until

from chassis.testing import pg_database
from contracts.mail_gateway import MailboxOAuthFailed


@pytest.fixture(scope="module")
def cases(amqp_uri: str, work_dir: Path) -> Iterator[Cases]:
    with pg_database("cases") as db_url:
        service = Cases(db_url, amqp_uri, work_dir).start()
        try:
            yield service
        finally:
            service.stop()


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path, cases: Cases) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir
    ) as worker:
        yield worker


def test_every_admin_hears_once_that_a_mailbox_stopped(
    cases: Cases, worker: Worker, publisher: Publisher, sink: SmtpSink
) -> None:
    cases.call("save_agent", data={"email": "boss@example.com", "name": "Bo Ss", "role": "admin"})
    cases.call("save_agent", data={"email": "second@example.com", "name": "Sec Ond", "role": "admin"})
    cases.call("save_agent", data={"email": "plain@example.com", "name": "Plain Agent", "role": "agent"})

    failed = MailboxOAuthFailed(
        mailbox_id=7, address="support@example.com", provider="microsoft", reason="invalid_grant: consent revoked"
    )
    envelope = publisher.publish(failed, service="mail_gateway")
    publisher.publish(envelope, service="mail_gateway")  # redelivered: still one mail each

    for admin in ("boss@example.com", "second@example.com"):
        [mail] = sink.wait_for(admin)
        assert mail["Subject"] == "Mailbox support@example.com stopped: connect it again"
        text = mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        assert "invalid_grant: consent revoked" in text
        assert "/admin/mailboxes/7" in text
        assert mail["Auto-Submitted"] == "auto-generated"
    wait_until(lambda: worker.processed(envelope.event_id, "on_mailbox_oauth_failed"), what="processed")
    assert sink.to("plain@example.com") == []
    assert len(sink.to("boss@example.com")) == 1
