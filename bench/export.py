"""Benchmark of the case list's export (decision 0236): `GET /api/v1/cases/export` of every case, as CSV and
as xlsx, against a cases database of 100,000 generated cases (bench/dataset.py, built once and kept).

Starts the cases worker and the gateway as their real processes on that database, downloads each export to a
file (streamed, so this process holds none of it), checks the row count, and prints JSON: seconds to the first
byte and to the last, the file's size, the CPU seconds of each process (bench/process_cpu.py: the figure that
load on a shared machine does not inflate), and the peak memory (RSS, sampled every 20 ms from /proc) of the gateway
and of the cases worker during the export, with each process's RSS before it.

Usage: .venv/bin/python bench/export.py [--cases 100000] [--formats csv xlsx]
Targets: 100,000 rows in at most 30 s with the gateway's peak memory at most 200 MB.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from dataset import cases_database
from process_cpu import CpuMeter
from system import API_KEY, running_system


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    """The largest RSS of some processes, sampled in a thread while the block runs."""

    def __init__(self, pids: dict[str, int], interval: float = 0.02) -> None:
        self.pids, self.interval = pids, interval
        self.before = {name: rss_mb(pid) for name, pid in pids.items()}
        self.peak = dict(self.before)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._done.is_set():
            for name, pid in self.pids.items():
                self.peak[name] = max(self.peak[name], rss_mb(pid))
            time.sleep(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()


def count_rows(path: Path, fmt: str) -> int:
    """Data rows in the file (the heading row left out), read as a stream."""
    if fmt == "csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return sum(1 for _ in csv.reader(handle)) - 1
    with zipfile.ZipFile(path) as book, book.open("xl/worksheets/sheet1.xml") as sheet:
        return sum(chunk.count(b"<row ") for chunk in iter(lambda: sheet.read(1 << 20), b"")) - 1


def export_once(base_url: str, fmt: str, pids: dict[str, int], target: Path, meter: CpuMeter) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with (
        httpx.Client(base_url=base_url, headers=headers, timeout=600) as client,
        PeakRss(pids) as memory,
        target.open("wb") as out,
    ):
        meter.start()
        started = time.perf_counter()
        first_byte = None
        with client.stream("GET", "/api/v1/cases/export", params={"format": fmt}) as resp:
            if resp.status_code != 200:
                raise RuntimeError(f"{resp.status_code}: {resp.read()[:500]!r}")
            for chunk in resp.iter_bytes():
                first_byte = first_byte or time.perf_counter() - started
                out.write(chunk)
        seconds = time.perf_counter() - started
        cpu = meter.stop(1, unit="export")
    return {
        "format": fmt,
        "rows": count_rows(target, fmt),
        "seconds": round(seconds, 1),
        "first_byte_s": round(first_byte or seconds, 2),
        "bytes": target.stat().st_size,
        "peak_rss_mb": {name: round(v, 1) for name, v in memory.peak.items()},
        "rss_before_mb": {name: round(v, 1) for name, v in memory.before.items()},
        # CPU seconds of each process for the whole export (minus its idle rate): what the load cannot inflate
        "cpu_s": {name: round(row["minus_idle"] / 1000, 2) for name, row in cpu.items() if "minus_idle" in row},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx"], choices=["csv", "xlsx"])
    args = parser.parse_args()
    url = cases_database(args.cases)
    load_before = os.getloadavg()
    runs = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_system(Path(tmp), start=False, databases={"cases": url}) as (
            system,
            _sink,
        ),
    ):
        system.start("cases", "gateway")
        pids = {name: system.processes[name].proc.pid for name in ("gateway", "cases")}
        with system.api() as api:  # warm-up: connections, caches, the first RPC
            api.get("/api/v1/cases", params={"limit": 100}).raise_for_status()
        meter = CpuMeter(system)
        meter.measure_idle(3.0)
        for fmt in args.formats:
            result = export_once(system.gateway_url, fmt, pids, Path(tmp) / f"export.{fmt}", meter)
            print(json.dumps(result), file=sys.stderr, flush=True)
            runs.append(result)
    print(
        json.dumps(
            {
                "cases": args.cases,
                "runs": runs,
                "load_average_before": load_before,
                "load_average_at_end": os.getloadavg(),
                "targets": {"seconds": 30, "gateway_peak_rss_mb": 200},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
