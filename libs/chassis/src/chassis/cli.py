"""The `python -m <service> <command>` entry point every service shares.

Commands are "module:function" strings imported only when chosen, so the worker command can
monkey-patch eventlet before anything else is imported (FastAPI commands must never be patched).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence


def main(
    package: str,
    commands: dict[str, str],
    *,
    eventlet_commands: Sequence[str] = ("worker",),
    argv: Sequence[str] | None = None,
) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"} or args[0] not in commands:
        names = ", ".join(sorted(commands))
        print(f"usage: python -m {package} <command>   (commands: {names})", file=sys.stderr)
        raise SystemExit(0 if args and args[0] in {"-h", "--help"} else 2)
    command = args[0]
    if command in eventlet_commands:
        os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
        import warnings

        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        import eventlet

        eventlet.monkey_patch()
    module_name, func_name = commands[command].split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    func(*args[1:])
