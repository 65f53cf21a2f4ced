"""Peak memory of the SMTP listener while N senders each send one large mail at once (decision 0166).

Starts the real SMTP listener (`python -m mail_gateway smtp`, default limits: 25 MB per message, cap
50 MB) on a fresh PostgreSQL database, opens N connections that each send one mail of M MB (distinct
Message-IDs, so distinct blobs) at the same time, and prints JSON: the listener's resident memory before
the mails (VmRSS) and its high-water mark (VmHWM) after them, the answers, the wall time and the
listener's CPU seconds. The mails are generated while they are sent, so the benchmark itself stays small.

Usage: .venv/bin/python bench/smtp_memory.py [--senders 100] [--mb 20] [--src DIR]
(`--src` puts another copy of the mail-gateway package first on the listener's path, e.g. the previous
commit's: `git archive HEAD services/mail-gateway/src | tar -x -C /tmp/before` then
`--src /tmp/before/services/mail-gateway/src`.)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chassis.settings import repo_root
from chassis.testing import ServiceProcess, free_port, pg_database

LINE = b"QmVuY2htYXJrIGJvZHkgbGluZSBvZiBhIGxhcmdlIG1haWwsIGJhc2U2NC1sb29raW5nIHRleHQuLi4u\r\n"  # 80 bytes
BLOCK = LINE * 800  # 64,000 bytes sent at a time


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in KiB."""
    fields: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def cpu_seconds(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


class Reply:
    def __init__(self, sock: socket.socket) -> None:
        self.file = sock.makefile("rb")

    def read(self) -> tuple[int, bytes]:
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError("connection closed")
            lines.append(line)
            if line[3:4] != b"-":
                return int(line[:3]), b"".join(lines)


def send_one(port: int, index: int, size: int, start: threading.Barrier) -> int:
    """One SMTP transaction with a mail of about `size` bytes; the final reply code."""
    with socket.create_connection(("127.0.0.1", port), timeout=600) as sock:
        reply = Reply(sock)
        reply.read()
        for command in (b"EHLO bench.test", b"MAIL FROM:<bench@bench.test>", b"RCPT TO:<support@example.com>"):
            sock.sendall(command + b"\r\n")
            code, text = reply.read()
            assert code == 250, text
        start.wait()
        sock.sendall(b"DATA\r\n")
        assert reply.read()[0] == 354
        sock.sendall(
            f"From: bench@bench.test\r\nTo: support@example.com\r\nSubject: large mail {index}\r\n"
            f"Message-ID: <large-{index}-{time.time_ns()}@bench.test>\r\n\r\n".encode()
        )
        for _ in range(size // len(BLOCK)):
            sock.sendall(BLOCK)
        sock.sendall(b".\r\n")
        code = reply.read()[0]
        sock.sendall(b"QUIT\r\n")
        return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--mb", type=float, default=20.0, help="size of each mail in MB (10^6 bytes)")
    parser.add_argument("--src", help="a mail-gateway src directory to run instead of the working tree's")
    args = parser.parse_args()
    size = int(args.mb * 1_000_000)
    with tempfile.TemporaryDirectory(prefix="bench-smtp-memory-") as tmp, pg_database("bench_smtp_memory") as db_url:
        smtp_port, smtp_ops = free_port(), free_port()
        env = {
            "HELPDESK_ENV": "test",
            "HELPDESK_VAR_DIR": f"{tmp}/var",
            "MAIL_GATEWAY_DATABASE_URL": db_url,
            "MAIL_GATEWAY_BLOB_DIR": f"{tmp}/blobs",
            "MAIL_GATEWAY_SMTP_PORT": str(smtp_port),
            "MAIL_GATEWAY_SMTP_OPS_PORT": str(smtp_ops),
            "MAIL_GATEWAY_LOG_LEVEL": "WARNING",
        }
        for command in ("migrate", "seed"):  # always the working tree's schema and seed
            subprocess.run(
                [sys.executable, "-m", "mail_gateway", command], env={**os.environ, **env}, cwd=repo_root(), check=True
            )
        if args.src:
            env["PYTHONPATH"] = os.pathsep.join([args.src, os.environ.get("PYTHONPATH", "")])
        smtp = ServiceProcess("mail_gateway", "smtp", env, f"http://127.0.0.1:{smtp_ops}/healthz", Path(tmp) / "logs")
        smtp.start()
        try:
            assert smtp.proc is not None
            pid = smtp.proc.pid
            send_one(smtp_port, -1, len(BLOCK), threading.Barrier(1))  # warm-up: one small mail
            before, cpu_before = proc_status(pid), cpu_seconds(pid)
            start = threading.Barrier(args.senders)
            began = time.perf_counter()
            with ThreadPoolExecutor(args.senders) as pool:
                codes = list(pool.map(lambda i: send_one(smtp_port, i, size, start), range(args.senders)))
            wall = time.perf_counter() - began
            after, cpu = proc_status(pid), cpu_seconds(pid) - cpu_before
            stored = sum(1 for p in Path(tmp, "blobs").rglob("*") if p.is_file() and not p.name.startswith("."))
        finally:
            smtp.stop()
    mib = 1024
    print(
        json.dumps(
            {
                "senders": args.senders,
                "mail_body_bytes": size // len(BLOCK) * len(BLOCK),
                "source": args.src or "working tree",
                "answers": {str(code): codes.count(code) for code in sorted(set(codes))},
                "blobs_stored": stored,
                "rss_before_mib": round(before["VmRSS"] / mib, 1),
                "rss_peak_mib": round(after["VmHWM"] / mib, 1),
                "rss_peak_minus_before_per_sender_kib": round((after["VmHWM"] - before["VmRSS"]) / args.senders, 1),
                "rss_after_mib": round(after["VmRSS"] / mib, 1),
                "wall_s": round(wall, 1),
                "listener_cpu_s": round(cpu, 2),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
