"""Stopping, killing and restarting services while mail keeps arriving loses no mail and duplicates no case."""

from __future__ import annotations

import threading
import time
from typing import Any

from mail import customer_mail, deliver

MAILS = 40


def all_titles(api: Any, prefix: str) -> list[str]:
    titles: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": prefix, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/api/v1/cases", params=params).json()
        titles += [c["title"] for c in page["items"] if c["title"].startswith(prefix)]
        cursor = page.get("next")
        if not cursor:
            return titles


def test_restarts_and_crashes_lose_no_mail_and_duplicate_no_case(system):
    sys_, _sink = system
    api = sys_.api()
    prefix = "Resilience mail"
    errors: list[BaseException] = []

    def send_all() -> None:
        try:
            for i in range(MAILS):
                msg = customer_mail(sender=f"user{i}@customer.example", subject=f"{prefix} {i:03d}", body=f"mail {i}")
                # like an MTA: keep retrying while our listener is down or answers 4xx
                deliver(sys_.smtp_port, msg, retry_for=60)
                time.sleep(0.1)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    sender = threading.Thread(target=send_all)
    sender.start()
    time.sleep(0.5)
    sys_.stop("mail-gateway")  # graceful stop of the parser/threading worker
    time.sleep(1.0)
    sys_.start("mail-gateway")
    sys_.process("cases").kill()  # crash the case service mid-stream
    time.sleep(1.0)
    sys_.start("cases")
    sys_.process("smtp").kill()  # the listener dies; the "MTA" retries
    time.sleep(0.5)
    sys_.start("smtp")
    sys_.process("mail-gateway").kill()
    sys_.start("mail-gateway")
    sender.join(timeout=180)
    assert not sender.is_alive(), "sender hung"
    assert not errors, errors

    deadline = time.monotonic() + 60
    titles = all_titles(api, prefix)
    while len(titles) < MAILS and time.monotonic() < deadline:
        time.sleep(0.5)
        titles = all_titles(api, prefix)
    expected = {f"{prefix} {i:03d}" for i in range(MAILS)}
    missing = expected - set(titles)
    duplicates = {t for t in titles if titles.count(t) > 1}
    assert not missing, f"lost mail: {sorted(missing)}\n{sys_.logs()}"
    assert not duplicates, f"duplicate cases: {sorted(duplicates)}"
    assert len(titles) == MAILS
