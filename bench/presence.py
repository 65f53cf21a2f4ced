"""What "who else has this case open" costs (decision 0247): the Redis reads and writes of open case pages.

Every open case page's stream reads its case's viewers every 2 s and renews its own entry every 15 s. This drives
`gateway.presence.Presence` against the real Redis (`HELPDESK_REDIS_URL`) as `--pages` open pages spread over
`--cases` cases would, for `--seconds`, and prints JSON: the latency of a read (p50/p95/p99), the reads and
renewals a second that many pages make, and the CPU of this process per operation (the client's side; Redis's
own CPU per operation is in `INFO commandstats`, printed as `redis_usec_per_call`).

Usage: .venv/bin/python bench/presence.py [--pages 1000] [--cases 300] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid

from redis.asyncio import Redis

from gateway.presence import POLL_SECONDS, Presence
from gateway.settings import GatewaySettings


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000, 3)


async def run(pages: int, cases: int, seconds: float) -> dict[str, object]:
    redis = Redis.from_url(GatewaySettings().redis_url)
    presence = Presence(redis, prefix=f"bench:presence:{uuid.uuid4().hex}")
    try:
        before = await redis.info("commandstats")  # deltas: the Redis may be shared, its stats are not reset
        visits = [
            await presence.enter(case_id=random.randint(1, cases), agent_id=i % 200 + 1, name=f"Agent {i}")
            for i in range(pages)
        ]
        reads: list[float] = []
        refreshes = 0
        cpu0, wall0 = time.process_time(), time.monotonic()
        # each page polls once per POLL_SECONDS: spread over the period, as independent pages would be
        per_period = pages
        while time.monotonic() - wall0 < seconds:
            period = time.monotonic()
            for visit in visits:
                started = time.perf_counter()
                await presence.viewers(visit.case_id)
                reads.append(time.perf_counter() - started)
                if random.random() < POLL_SECONDS / presence.refresh_seconds:
                    await presence.refresh(visit)
                    refreshes += 1
            spent = time.monotonic() - period
            if spent < POLL_SECONDS:
                await asyncio.sleep(POLL_SECONDS - spent)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        after = await redis.info("commandstats")
        usec = {}
        for key, now in after.items():
            if key.startswith("cmdstat_z") and key != "cmdstat_zrem":  # pages leave after the measurement
                old = before.get(key, {"calls": 0, "usec": 0})
                calls = now["calls"] - old["calls"]
                usec[key.removeprefix("cmdstat_")] = round((now["usec"] - old["usec"]) / calls, 2) if calls else None
        for visit in visits:
            await presence.leave(visit)
        return {
            "pages": pages,
            "cases": cases,
            "seconds": round(wall, 1),
            "reads": len(reads),
            "reads_per_second_needed": round(per_period / POLL_SECONDS, 1),
            "read_ms": {"p50": _pct(reads, 0.5), "p95": _pct(reads, 0.95), "p99": _pct(reads, 0.99)},
            "read_ms_mean": round(statistics.fmean(reads) * 1000, 3),
            "refreshes": refreshes,
            "client_cpu_ms_per_op": round(cpu * 1000 / max(1, len(reads) + refreshes), 3),
            "redis_usec_per_call": usec,
        }
    finally:
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.pages, args.cases, args.seconds)), indent=2))


if __name__ == "__main__":
    main()
