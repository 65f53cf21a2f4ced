"""Entry points of `python -m cases import ...` and `python -m cases generate ...`: arguments in, a report out.

The bulk modules are imported by the command that needs them, so `python -m cases` stays quick to start."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from cases.settings import CasesSettings
from chassis.db import make_engine
from contracts.errors import DomainError


def import_command(*argv: str) -> None:
    raise SystemExit(import_main(list(argv)))


def generate_command(*argv: str) -> None:
    raise SystemExit(generate_main(list(argv)))


def import_main(argv: list[str], out: TextIO = sys.stdout) -> int:
    """The `import` command; returns the exit status (1 when any row was rejected)."""
    from cases.bulk.writes_import import DEFAULT_SOURCE, import_file

    parser = argparse.ArgumentParser(prog="python -m cases import", description="Import cases with messages.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--format", choices=["csv", "jsonl"], default=None, help="default: from the file name")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--source",
        default=DEFAULT_SOURCE,
        help=f"the system the file comes from; an external id is imported once per source (default {DEFAULT_SOURCE})",
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.add_argument("--report", type=Path, default=None, help="write every problem to this CSV file")
    parser.add_argument("--show", type=int, default=100, help="problems printed (default 100)")
    args = parser.parse_args(argv)
    if not args.file.is_file():
        parser.error(f"no such file: {args.file}")
    engine = make_engine(CasesSettings().db_url)
    try:
        report = import_file(
            engine,
            args.file,
            fmt=args.format,
            batch_size=args.batch_size,
            progress=not args.no_progress,
            source=args.source,
        )
    except (DomainError, ValueError) as exc:
        print(f"import failed: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(report.summary(limit=args.show), file=out)
    if args.report is not None:
        report.write_problems(args.report)
    return 1 if report.rejected else 0


def generate_main(argv: list[str]) -> int:
    """The `generate` command; returns the exit status."""
    from cases.bulk.writes_generator import generate

    parser = argparse.ArgumentParser(prog="python -m cases generate", description="Generate synthetic cases.")
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--messages-per-case", type=int, default=3, help="on average (default 3)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--until", type=datetime.fromisoformat, default=None, help="latest time (default: today 00:00 UTC)"
    )
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    until = args.until.replace(tzinfo=args.until.tzinfo or UTC) if args.until else None
    engine = make_engine(CasesSettings().db_url)
    try:
        report = generate(
            engine,
            cases=args.cases,
            messages_per_case=args.messages_per_case,
            seed=args.seed,
            until=until,
            batch_size=args.batch_size,
            progress=not args.no_progress,
        )
    except (DomainError, ValueError) as exc:
        print(f"generate failed: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(report.summary())
    return 0
