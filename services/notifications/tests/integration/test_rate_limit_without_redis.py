"""Rate limits fail open: with Redis down, automatic mail still goes (decision 0033)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from notifications_testkit import Publisher, SmtpSink, now, running_worker, wait_until

from chassis.testing import free_port
from contracts.portal import MagicLinkRequested


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


def test_without_redis_the_limit_fails_open(
    db_url: str, amqp_uri: str, publisher: Publisher, sink: SmtpSink, tmp_path: Path
) -> None:
    dead_redis = f"redis://127.0.0.1:{free_port()}/0"
    with running_worker(
        db_url=db_url,
        amqp_uri=amqp_uri,
        smtp_port=sink.port,
        log_dir=tmp_path,
        var_dir=tmp_path,
        extra_env={"HELPDESK_REDIS_URL": dead_redis},
        rate_limit_per_recipient="1",
    ):
        for _ in range(2):
            link = MagicLinkRequested(
                contact_id=1, email="nora@customer.example", link_url="http://portal.example/ml", expires_at=now(600)
            )
            publisher.publish(link, service="portal")
        wait_until(lambda: len(sink.to("nora@customer.example")) == 2, what="both links despite a limit of 1")
