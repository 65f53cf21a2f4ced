"""Shared fixtures: the real cases worker and the real portal, each on a fresh PostgreSQL database, one vhost."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_testing import Stack, run_command

from chassis.testing import EventCollector, ServiceProcess, SyncRpc, amqp_vhost, free_port, pg_database


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    log_dir: Path = tmp_path_factory.mktemp("service-logs")
    run_id = uuid.uuid4().hex[:8]
    with pg_database("cases") as cases_db, pg_database("portal") as portal_db, amqp_vhost() as amqp_uri:
        cases_port = free_port()
        cases_env = {"CASES_DATABASE_URL": cases_db, "HELPDESK_AMQP_URI": amqp_uri, "CASES_OPS_PORT": str(cases_port)}
        run_command("cases", "migrate", cases_env)
        run_command("cases", "seed", cases_env)
        portal_port = free_port()
        portal_url = f"http://127.0.0.1:{portal_port}"
        portal_env = {
            "PORTAL_DATABASE_URL": portal_db,
            "HELPDESK_AMQP_URI": amqp_uri,
            "PORTAL_HOST": "127.0.0.1",
            "PORTAL_PORT": str(portal_port),
            "PORTAL_OPS_PORT": str(portal_port),
            "PORTAL_PUBLIC_URL": portal_url,
            "PORTAL_REDIS_PREFIX": f"test-portal-{run_id}",
            # a low ceiling, so a test reaches it in a few sends (test_form_pages)
            "PORTAL_FORM_SUBMIT_RATE_LIMIT": "2",
            "PORTAL_REGISTRATION": "open",
            "PORTAL_SIGNIN_FAILURES_PER_ACCOUNT": "3",
            "PORTAL_BRANDING_CACHE_SECONDS": "0",
        }
        run_command("portal", "migrate", portal_env)
        # bound before the portal starts, so no event can be published before we listen
        events = EventCollector(amqp_uri, ["portal"])
        cases = ServiceProcess("cases", "worker", cases_env, f"http://127.0.0.1:{cases_port}/healthz", log_dir)
        portal = ServiceProcess("portal", "web", portal_env, f"{portal_url}/healthz", log_dir)
        rpc = SyncRpc(amqp_uri)
        try:
            cases.start(timeout=60)
            portal.start(timeout=30)
            agent = rpc.call("cases", "get_agent_by_email", email="admin@example.com")
            yield Stack(amqp_uri, portal_url, portal_db, rpc, events, agent, run_id, portal_env, log_dir, cases)
        finally:
            portal.stop()
            cases.stop()
            rpc.close()
            events.close()
            for proc in (portal, cases):
                print(f"--- {proc.package} {proc.command} log tail ---\n{proc.log_tail(30)}")
