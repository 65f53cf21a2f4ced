"""CPU time of every process taking part in a benchmark run of the whole system (bench/run.py, bench/search.py).

Wall-clock figures on a shared 2-core machine say little; CPU time per item says where the work goes.
`CpuMeter` reads user+system CPU from /proc/<pid>/stat for:
- each service process of `tests/system.py` (with any child processes),
- the PostgreSQL backends connected to the run's databases (found in pg_stat_activity; a backend that
  exits during the run is missed, which is why the services' pools keep theirs),
- RabbitMQ (`beam.smp`; shared with anything else using the broker on this machine),
- this benchmark process (its SMTP clients, the API poller and the SMTP sink standing in for the relay).
The idle rate of each (timers, heartbeats), measured before the run, is subtracted pro rata.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import amqp
import httpx
import psycopg
from system import API_KEY, System

TICKS = os.sysconf("SC_CLK_TCK")
PG_ADMIN_DSN = os.environ.get("HELPDESK_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres").replace(
    "postgresql+psycopg://", "postgresql://"
)


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _all_processes() -> dict[int, tuple[int, float, str]]:
    """pid -> (parent pid, CPU seconds, command name) of every process we can see."""
    table: dict[int, tuple[int, float, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        name = text[text.find("(") + 1 : text.rfind(")")]
        fields = text.rsplit(")", 1)[1].split()
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS, name)
    return table


def _tree_cpu(root: int, table: dict[int, tuple[int, float, str]]) -> float:
    children: dict[int, list[int]] = {}
    for pid, (ppid, _cpu, _name) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            total += table[pid][1]
        stack.extend(children.get(pid, []))
    return total


class CpuMeter:
    """CPU seconds per group of processes between `start` and `stop`.

    A sampler thread looks at pg_stat_activity every `SAMPLE_SECONDS`, so backends opened and closed
    during the run (a pool's overflow connections) are counted up to their last sample; it also records
    the backlog of each stage (stored mails not yet processed, unpublished outbox rows, queue depths).
    """

    SAMPLE_SECONDS = 0.25

    def __init__(self, system: System) -> None:
        self.system = system
        self.db_names = {url.rsplit("/", 1)[1]: package for package, url in system.databases.items()}
        self.vhost = system.amqp_uri.rsplit("/", 1)[1]
        self.idle_rate: dict[str, float] = {}
        self._t0 = 0.0
        self._groups0: dict[str, float] = {}
        self._backend_first: dict[int, tuple[str, float]] = {}
        self._backend_last: dict[int, float] = {}
        self.backlog: dict[str, list[int]] = {}
        self._own_pids: set[int] = set()
        self._broker_pid: int | None = None
        self.queues: list[str] = []
        self._amqp_channel: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _groups(self, table: dict[int, tuple[int, float, str]]) -> dict[str, float]:
        groups: dict[str, float] = {}
        for name, proc in self.system.processes.items():
            if proc.proc is not None:
                groups[name] = _tree_cpu(proc.proc.pid, table)
        if self._broker_pid is None:  # the broker is the busiest beam.smp; rabbitmqctl runs short-lived ones
            brokers = [(cpu, pid) for pid, (_pp, cpu, comm) in table.items() if comm == "beam.smp"]
            self._broker_pid = max(brokers)[1] if brokers else 0
        if self._broker_pid in table:
            groups["rabbitmq (beam.smp, shared)"] = table[self._broker_pid][1]
        me = table.get(os.getpid())
        groups["bench process (SMTP clients, API poller, SMTP sink)"] = me[1] if me else 0.0
        return groups

    def _sample(self, conn: psycopg.Connection[Any], baseline: bool) -> None:
        rows = conn.execute(
            "SELECT pid, datname FROM pg_stat_activity WHERE datname = ANY(%s) AND pid <> pg_backend_pid()",
            (list(self.db_names),),
        ).fetchall()
        for pid, datname in rows:
            stat = _stat(int(pid))
            if stat is None or int(pid) in self._own_pids:
                continue
            if int(pid) not in self._backend_first:
                # a backend alive when the meter started counts from then; a newer one from its birth
                self._backend_first[int(pid)] = (self.db_names[datname], stat[1] if baseline else 0.0)
            self._backend_last[int(pid)] = stat[1]

    def _backlog(self, conns: dict[str, psycopg.Connection[Any]]) -> dict[str, int]:
        found: dict[str, int] = {}
        if "mail_gateway" in conns:
            row = (
                conns["mail_gateway"].execute("SELECT count(*) FROM inbound_mail WHERE status = 'received'").fetchone()
            )
            found["mail-gateway: stored mails not yet processed"] = int(row[0]) if row else 0
        for package, conn in conns.items():
            row = conn.execute("SELECT count(*) FROM outbox_message WHERE published_at IS NULL").fetchone()
            found[f"{package}: outbox rows not yet published"] = int(row[0]) if row else 0
        for name in self.queues:
            with contextlib.suppress(Exception):
                found[f"queue {name}"] = int(self._amqp_channel.queue_declare(name, passive=True).message_count)
        return found

    def _amqp_params(self) -> dict[str, str]:
        parsed = urlsplit(self.system.amqp_uri)
        return {
            "host": f"{parsed.hostname}:{parsed.port or 5672}",
            "userid": unquote(parsed.username or "guest"),
            "password": unquote(parsed.password or "guest"),
            "virtual_host": unquote(parsed.path.lstrip("/")),
        }

    def _list_queues(self) -> list[str]:
        """The run's queues (once, with rabbitmqctl; their depths are then read over AMQP)."""
        result = subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "-p", self.vhost, "name"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        names = [line.strip() for line in result.stdout.splitlines() if line.strip()]
        return [n for n in names if n != "name" and not n.startswith(("rpc.reply", "amq."))]

    def _run(self) -> None:
        ticks = 0
        with contextlib.ExitStack() as stack:
            conn = stack.enter_context(psycopg.connect(PG_ADMIN_DSN, autocommit=True))
            # the backlog queries use connections of their own, left out of the services' backends
            conns = {
                package: stack.enter_context(
                    psycopg.connect(self.system.databases[package].replace("+psycopg", ""), autocommit=True)
                )
                for package in ("mail_gateway", "cases")
                if package in self.system.databases
            }
            self._own_pids = {c.info.backend_pid for c in conns.values()}
            amqp_conn = stack.enter_context(amqp.Connection(**self._amqp_params()))  # connects
            self._amqp_channel = amqp_conn.channel()
            while not self._stop.wait(self.SAMPLE_SECONDS):
                ticks += 1
                self._sample(conn, baseline=False)
                if ticks % 4 == 0:
                    for name, value in self._backlog(conns).items():
                        self.backlog.setdefault(name, []).append(value)

    def start(self) -> None:
        if not self.queues:
            self.queues = self._list_queues()
        self._backend_first, self._backend_last, self.backlog = {}, {}, {}
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            self._sample(conn, baseline=True)
        self._groups0 = self._groups(_all_processes())
        self._t0 = time.perf_counter()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _used(self) -> tuple[dict[str, float], float]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            self._sample(conn, baseline=False)
        groups = self._groups(_all_processes())
        wall = time.perf_counter() - self._t0
        used = {name: groups[name] - self._groups0.get(name, 0.0) for name in groups}
        for pid, (package, first) in self._backend_first.items():
            key = f"postgres backends of {package}"
            used[key] = used.get(key, 0.0) + self._backend_last.get(pid, first) - first
        return used, wall

    def measure_idle(self, seconds: float) -> None:
        self.start()
        time.sleep(seconds)
        used, wall = self._used()
        self.idle_rate = {name: cpu / wall for name, cpu in used.items()}

    def stop(self, items: int, unit: str = "mail") -> dict[str, Any]:
        """CPU ms per item (a `unit`) of each group (raw and minus idle), biggest first, and their sum."""
        used, wall = self._used()
        rows: dict[str, Any] = {}
        for name, cpu in sorted(used.items(), key=lambda kv: -kv[1]):
            idle = self.idle_rate.get(name, 0.0) * wall
            rows[name] = {
                f"cpu_ms_per_{unit}": round(1000 * cpu / items, 2),
                "minus_idle": round(1000 * max(cpu - idle, 0.0) / items, 2),
            }
        rows["total"] = {
            f"cpu_ms_per_{unit}": round(sum(r[f"cpu_ms_per_{unit}"] for r in rows.values()), 1),
            "minus_idle": round(sum(r["minus_idle"] for r in rows.values()), 1),
            "cpu_seconds_per_wall_second": round(sum(used.values()) / wall, 2),
            "postgres_backends_seen": dict(Counter(package for package, _ in self._backend_first.values())),
        }
        return rows

    def backlog_summary(self) -> dict[str, dict[str, float]]:
        """Max and mean depth of each stage's backlog over the run (sampled every second; never-used ones left out)."""
        return {
            name: {"max": max(values), "mean": round(sum(values) / len(values), 1)}
            for name, values in sorted(self.backlog.items())
            if values and max(values) > 0  # queues that never held a message are left out
        }


def poll_cost(system: System, requests: int) -> dict[str, float]:
    """CPU ms of one visibility poll (`GET /api/v1/cases?sort=-created&limit=100`) on the now idle system."""
    meter = CpuMeter(system)
    meter.measure_idle(2.0)
    with httpx.Client(base_url=system.gateway_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30) as api:
        meter.start()
        for _ in range(requests):
            api.get("/api/v1/cases", params={"sort": "-created", "limit": 100}).raise_for_status()
        rows = meter.stop(requests)
    wanted = ("gateway", "cases", "postgres backends of cases", "postgres backends of gateway")
    return {name: rows[name]["minus_idle"] for name in wanted if name in rows}
