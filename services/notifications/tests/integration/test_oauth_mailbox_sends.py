"""A mailbox connected by OAuth2 sends: the real mail gateway ran the consent against the (fake) provider and
holds the tokens; notifications asks it for an access token (`mailbox_access_token`) and logs in to the
mailbox's SMTP server with SASL XOAUTH2. Only the provider is fake (the mail gateway's tests/oauth_provider.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from notifications_testkit import (
    SECRET,
    AuthSink,
    Publisher,
    SmtpSink,
    Worker,
    make_case,
    make_message,
    running_worker,
    wait_until,
)

from chassis.settings import repo_root
from chassis.testing import ServiceProcess, SyncRpc, free_port, pg_database
from contracts.cases import CaseRead, MessageAdded

sys.path.insert(0, str(repo_root() / "services" / "mail-gateway" / "tests"))
from oauth_provider import CLIENT_ID, CLIENT_SECRET, FakeProvider, fake_provider

REDIRECT = "http://127.0.0.1:9/admin/mailboxes/oauth/callback"  # never opened: the test reads the redirect
ADDRESS = "o365-desk@example.com"


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeProvider]:
    with fake_provider() as server:
        yield server


@pytest.fixture(scope="module")
def mail_gateway(amqp_uri: str, work_dir: Path) -> Iterator[SyncRpc]:
    """The mail gateway's worker on this module's vhost and secret; an RPC client to it."""
    with pg_database("mail_gateway") as db_url:
        ops = free_port()
        env = {
            **os.environ,
            "HELPDESK_ENV": "test",
            "HELPDESK_AMQP_URI": amqp_uri,
            "HELPDESK_SECRET_KEY": SECRET,
            "HELPDESK_VAR_DIR": str(work_dir / "mail-gateway"),
            "MAIL_GATEWAY_DATABASE_URL": db_url,
            "MAIL_GATEWAY_BLOB_DIR": str(work_dir / "mail-gateway-blobs"),
            "MAIL_GATEWAY_OPS_PORT": str(ops),
        }
        done = subprocess.run(
            [sys.executable, "-m", "mail_gateway", "migrate"], env=env, cwd=repo_root(), capture_output=True
        )
        assert done.returncode == 0, done.stderr
        worker = ServiceProcess("mail_gateway", "worker", env, f"http://127.0.0.1:{ops}/healthz", work_dir)
        rpc = SyncRpc(amqp_uri)
        try:
            worker.start()
            yield rpc
        finally:
            rpc.close()
            worker.stop()


@pytest.fixture(scope="module")
def worker(db_url: str, amqp_uri: str, sink: SmtpSink, work_dir: Path) -> Iterator[Worker]:
    with running_worker(
        db_url=db_url, amqp_uri=amqp_uri, smtp_port=sink.port, log_dir=work_dir, var_dir=work_dir
    ) as worker:
        yield worker


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _consent(url: str) -> dict[str, str]:
    """The admin's browser at the consent screen: the provider answers with a redirect carrying code and state."""
    try:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=10)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302
        return {k: v[0] for k, v in parse_qs(urlparse(answer.headers["Location"]).query).items()}
    raise AssertionError("the provider did not redirect back")


def test_a_mailbox_connected_by_oauth2_sends_over_xoauth2_with_the_mail_gateways_token(
    mail_gateway: SyncRpc, worker: Worker, publisher: Publisher, provider: FakeProvider
) -> None:
    server = AuthSink(user=ADDRESS, token="not-issued-yet").start()
    try:
        saved = mail_gateway.call(
            "mail_gateway",
            "save_mailbox",
            data={
                "address": ADDRESS,
                "smtp_host": "127.0.0.1",
                "smtp_port": server.port,
                "smtp_security": "none",
                "smtp_auth": "oauth2",
                "smtp_user": ADDRESS,
            },
        )
        start = {
            "provider": "custom",
            "redirect_uri": REDIRECT,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "authorize_url": provider.authorize_url,
            "token_url": provider.token_url,
            "scopes": "smtp offline_access",
        }
        begun = mail_gateway.call("mail_gateway", "begin_mailbox_oauth", mailbox_id=saved["id"], data=start)
        answer = _consent(begun["authorize_url"])
        mail_gateway.call("mail_gateway", "complete_mailbox_oauth", state=answer["state"], code=answer["code"])
        [issued] = [token for token, grant in provider.access.items() if grant.user == ADDRESS]
        server.token = issued  # the SMTP server takes exactly the token the provider issued to this mailbox

        data = make_case(requester_email="reader@customer.example").model_dump(mode="json")
        data["mailbox"] = ADDRESS
        case = CaseRead.model_validate(data)
        publisher.publish(MessageAdded(case=case, message=make_message(case=case, author_type="agent")))
        [mail] = server.wait_for("reader@customer.example", timeout=30)
        assert mail["From"].addresses[0].addr_spec == ADDRESS
        assert server.logins == [f"XOAUTH2:{ADDRESS}"]
        wait_until(lambda: [d for d in worker.deliveries(case_id=case.id) if d["status"] == "sent"], what="sent")
    finally:
        server.stop()
