"""Entry points of `python -m cases import ...` and `python -m cases generate ...`."""

from __future__ import annotations


def import_command(*argv: str) -> None:
    from cases.bulk import importer

    raise SystemExit(importer.main(list(argv)))


def generate_command(*argv: str) -> None:
    from cases.bulk import generator

    raise SystemExit(generator.main(list(argv)))
