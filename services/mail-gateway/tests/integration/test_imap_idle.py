"""IMAP IDLE against a real dovecot (decision 0147): new mail arrives in seconds, not at the next poll."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from conftest import IMAP_PASSWORD, imap_mailbox
from imap_server import Dovecot
from sqlalchemy import select
from sqlalchemy.orm import Session

from chassis.testing import ServiceProcess, SyncRpc, free_port, wait_until
from mail_gateway.db.models import Mailbox
from mail_gateway.imap import IdleChannel, ImapConfig, ImapFailure, open_session

SLOW_POLL = 600  # seconds: the poll interval of IDLE mailboxes here, far beyond any wait in these tests
IMAP_USERS = ["idle", "twice", "plain", "direct", "failover", "dropped"]


def _mailbox(imap: Dovecot, user: str, **extra: Any) -> dict[str, Any]:
    """An IDLE mailbox's data: polled only every SLOW_POLL seconds, so what arrives in seconds came by IDLE."""
    return imap_mailbox(imap, user, **{"imap_poll_seconds": SLOW_POLL, **extra})


def _box(rpc: SyncRpc, mailbox_id: int) -> dict[str, Any]:
    return next(b for b in rpc.call("mail_gateway", "list_mailboxes") if b["id"] == mailbox_id)


def _metric(port: int, name: str, labels: str = "") -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_the_idle_channel_hears_new_mail_at_once_and_survives_a_refresh(stack, imap):
    config = ImapConfig(host=imap.host, port=imap.port, security="none", user="direct", password=IMAP_PASSWORD)
    session = open_session(config)
    try:
        channel = IdleChannel(session)
        assert channel.start(timeout=5) is False and channel.idling
        assert channel.wait(0.3) is False  # nothing new: the wait times out quietly
        imap.append("direct", stack.mail(message_id=stack.unique("direct")))
        began = time.monotonic()
        assert channel.wait(10) is True
        assert time.monotonic() - began < 5
        channel.done(timeout=5)  # (may report the RECENT that followed the EXISTS)
        assert not channel.idling  # DONE answered OK: the connection is alive
        imap.append("direct", stack.mail(message_id=stack.unique("direct")))
        channel.start(timeout=5)  # the mail that came between DONE and IDLE is announced or fetched anyway
        assert channel.done(timeout=5) in (True, False)
        assert session.new_uids(0) == [1, 2]  # and the connection still talks plain IMAP afterwards
    finally:
        session.close()
    without = open_session(config)
    try:
        without.capabilities = frozenset()
        with pytest.raises(ImapFailure, match="does not offer IDLE"):
            IdleChannel(without)
    finally:
        without.close()


def test_mail_appended_while_idle_is_stored_within_seconds_not_at_the_next_poll(stack, imap, rpc):
    early = stack.unique("idle-early")
    imap.append("idle", stack.mail(message_id=early, subject="Before the watcher started"))
    saved = rpc.call("mail_gateway", "save_mailbox", data=_mailbox(imap, "idle"))
    assert saved["use_idle"] is True and saved["imap_poll_seconds"] == SLOW_POLL
    stack.wait_emitted([early])  # the watcher's catch-up fetch
    # the lease is taken before the server's capabilities are read, so wait for both
    box = wait_until(
        lambda: (b := _box(rpc, saved["id"]))["imap_idle_active"] and b["imap_idle_supported"] is not None and b,
        what="idle watcher",
    )
    assert box["imap_idle_supported"] is True and box["imap_last_error"] is None

    for n in range(3):
        mid = stack.unique(f"idle-{n}")
        began = time.monotonic()
        imap.append("idle", stack.mail(message_id=mid, subject=f"Sent while idling {n}"))
        stack.wait_emitted([mid], timeout=15)
        took = time.monotonic() - began
        assert took < 10, f"mail {n} took {took:.1f} s (poll interval {SLOW_POLL} s)"
        # the watcher waits in a green socket: the worker answers RPC while it idles
        began = time.monotonic()
        assert rpc.call("mail_gateway", "health") == {"status": "ok"}
        assert time.monotonic() - began < 3
    rows = stack.rows(mailbox_id=saved["id"])
    assert len(rows) == 4 and {r.source for r in rows} == {"imap"}
    flags = wait_until(lambda: (f := imap.flags("idle")) and all("\\Seen" in v for v in f.values()) and f, what="seen")
    assert sorted(flags) == [1, 2, 3, 4]
    assert _metric(int(stack.env["MAIL_GATEWAY_OPS_PORT"]), "mail_gateway_imap_idle_wakeups_total") >= 1


def test_with_use_idle_off_the_mailbox_is_polled_and_never_watched(stack, imap, rpc):
    mid = stack.unique("plain")
    saved = rpc.call("mail_gateway", "save_mailbox", data=_mailbox(imap, "plain", use_idle=False, imap_poll_seconds=1))
    assert saved["use_idle"] is False
    imap.append("plain", stack.mail(message_id=mid))
    stack.wait_emitted([mid])
    box = _box(rpc, saved["id"])
    assert box["use_idle"] is False and box["imap_idle_active"] is False and box["imap_idle_supported"] is None

    # switched on: a watcher takes over (and the slow poll interval no longer matters)
    rpc.call("mail_gateway", "save_mailbox", mailbox_id=saved["id"], data=_mailbox(imap, "plain"))
    wait_until(lambda: _box(rpc, saved["id"])["imap_idle_active"], what="idle watcher after switching on")
    later = stack.unique("plain-later")
    imap.append("plain", stack.mail(message_id=later))
    stack.wait_emitted([later], timeout=15)


def test_two_worker_processes_never_fetch_one_mailbox_at_the_same_time(stack, imap, rpc, tmp_path: Path):
    ops = free_port()
    second = ServiceProcess(
        "mail_gateway",
        "worker",
        {**stack.env, "MAIL_GATEWAY_OPS_PORT": str(ops)},
        f"http://127.0.0.1:{ops}/healthz",
        tmp_path / "second",
    )
    second.start()
    try:
        saved = rpc.call("mail_gateway", "save_mailbox", data=_mailbox(imap, "twice"))
        wait_until(lambda: _box(rpc, saved["id"])["imap_idle_active"], what="one idle watcher")
        ids = [stack.unique("twice") for _ in range(6)]
        for mid in ids:
            imap.append("twice", stack.mail(message_id=mid))
        found = stack.wait_emitted(ids, timeout=30)
        assert all(len(events) == 1 for events in found.values())
        first_ops = int(stack.env["MAIL_GATEWAY_OPS_PORT"])
        fetched = "mail_gateway_imap_fetched_total"
        # a second fetcher would have fetched some mail again and found it stored: a duplicate
        for port in (first_ops, ops):
            assert _metric(port, fetched, '{outcome="duplicate"}') == 0
        assert sum(_metric(port, fetched, '{outcome="stored"}') for port in (first_ops, ops)) >= 6
    finally:
        second.stop()


def test_when_the_watching_process_dies_another_takes_the_mailbox_over(stack, imap, rpc, tmp_path: Path):
    lease, tick = 6, 1
    env = {**stack.env, "MAIL_GATEWAY_IMAP_LEASE_SECONDS": str(lease), "MAIL_GATEWAY_IMAP_IDLE_TICK_SECONDS": str(tick)}
    stack.worker.stop()  # two workers of our own, with short leases, compete for the mailbox
    workers: list[ServiceProcess] = []
    try:
        for name in ("a", "b"):
            ops = free_port()
            process = ServiceProcess(
                "mail_gateway", "worker", {**env, "MAIL_GATEWAY_OPS_PORT": str(ops)}, f"http://127.0.0.1:{ops}/healthz",
                tmp_path / name,
            )  # fmt: skip
            workers.append(process.start())
        saved = rpc.call("mail_gateway", "save_mailbox", data=_mailbox(imap, "failover"))
        wait_until(lambda: _box(rpc, saved["id"])["imap_idle_active"], what="idle watcher")

        def owner() -> str | None:
            with Session(stack.engine) as session:
                return session.scalar(select(Mailbox.imap_lease_owner).where(Mailbox.id == saved["id"]))

        first = owner()
        assert first is not None and first.startswith("idle:")
        pid = int(first.split(":")[2])
        [holder] = [w for w in workers if w.proc is not None and w.proc.pid == pid]
        os.kill(pid, signal.SIGKILL)  # no goodbye: its lease must lapse by itself
        assert holder.proc is not None
        holder.proc.wait(10)

        mid = stack.unique("failover")
        began = time.monotonic()
        imap.append("failover", stack.mail(message_id=mid))
        stack.wait_emitted([mid], timeout=30)
        took = time.monotonic() - began
        assert took < lease + 10, f"took {took:.1f} s to be taken over (lease {lease} s, poll {SLOW_POLL} s)"
        second = wait_until(lambda: (o := owner()) and o != first and o, what="the other worker's lease")
        assert second.startswith("idle:") and int(second.split(":")[2]) != pid
        assert len(stack.rows(message_id=mid)) == 1
    finally:
        for process in workers:
            process.stop()
        stack.worker.start()


def _imap_processes(imap: Dovecot) -> list[int]:
    """The pids of this dovecot's `imap` session processes (children of its master)."""
    master = int((imap.root / "run" / "master.pid").read_text().strip())
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm, rest = text[text.index("(") + 1 : text.rindex(")")], text[text.rindex(")") + 2 :].split()
        if comm == "imap" and int(rest[1]) == master:
            found.append(int(stat.parent.name))
    return found


def test_a_dropped_idle_connection_is_reopened_and_mail_still_arrives_in_seconds(stack, imap, rpc):
    saved = rpc.call("mail_gateway", "save_mailbox", data=_mailbox(imap, "dropped"))
    wait_until(lambda: _box(rpc, saved["id"])["imap_idle_supported"], what="idle watcher connected")
    sessions = wait_until(lambda: _imap_processes(imap), what="dovecot session processes")
    for pid in sessions:  # the server side of every IMAP connection dies (the IDLE ones among them)
        with contextlib.suppress(ProcessLookupError):  # a short-lived session (a poll's) may end on its own
            os.kill(pid, signal.SIGKILL)
    box = wait_until(lambda: (b := _box(rpc, saved["id"]))["imap_last_error"] and b, what="the drop noticed")
    # The first poll's session may die in the same sweep and record its own error first; the mail arriving by
    # IDLE below is what proves the watcher noticed its drop and came back.
    assert box["imap_last_error"].startswith(("idle:", "connection:")), box["imap_last_error"]
    wait_until(lambda: _box(rpc, saved["id"])["imap_idle_active"], what="idle watcher again")  # back-off 2 s
    mid = stack.unique("dropped")
    began = time.monotonic()
    imap.append("dropped", stack.mail(message_id=mid))
    stack.wait_emitted([mid], timeout=15)
    assert time.monotonic() - began < 10  # by IDLE again, not by the 600 s poll
