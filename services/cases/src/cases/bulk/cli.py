"""Entry points of `python -m cases import ...` and `python -m cases generate ...`."""

from __future__ import annotations


def import_command(*argv: str) -> None:
    from cases.bulk import writes_import as importer

    raise SystemExit(importer.main(list(argv)))


def generate_command(*argv: str) -> None:
    from cases.bulk import writes_generator as generator

    raise SystemExit(generator.main(list(argv)))
