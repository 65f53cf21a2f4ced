"""Where the shared corpora of real-world mail live (read in place, never copied into the repo), and what a test
that reads one does when it is missing.

Outside CI a missing corpus skips its tests, with the folder that was looked in, so a checkout without the
corpora still runs everything else. Under CI (`CI=true`) it fails them instead: a CI run that skipped every
real-mail test would pass without having checked the parser against real mail.

A test says which corpus it reads with `@needs(FOLDER)` (the `corpus` marker, checked by the hook in
conftest.py before the test's fixtures start), or takes its files as parameters from `files(FOLDER, pattern)`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest


def corpora_dir() -> Path:
    """<repo>/../shared/corpora, or $HELPDESK_CORPORA."""
    override = os.environ.get("HELPDESK_CORPORA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3].parent / "shared" / "corpora"


ZAMMAD = corpora_dir() / "zammad-mail"
TRIMMER = corpora_dir() / "email-reply-trimmer"


def in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    """True when the run is a CI run: CI services set `CI=true` (some set `1`)."""
    return environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def missing(folder: Path, pattern: str = "*") -> str | None:
    """Why `folder` cannot be read as a corpus (absent, or no file matches `pattern`), or None when it can."""
    if not folder.is_dir():
        return f"{folder.name} corpus not found at {folder} (or set HELPDESK_CORPORA to the folder that holds it)"
    if not any(folder.glob(pattern)):
        return f"{folder.name} corpus at {folder} has no file matching {pattern}"
    return None


def require(folder: Path, pattern: str = "*", environ: Mapping[str, str] = os.environ) -> None:
    """Return when the corpus is there; otherwise skip the calling test, or fail it under CI."""
    reason = missing(folder, pattern)
    if reason is None:
        return
    if in_ci(environ):
        pytest.fail(f"{reason}; under CI the corpus tests must run, not skip", pytrace=False)
    pytest.skip(reason)


def needs(folder: Path, pattern: str = "*") -> pytest.MarkDecorator:
    """Mark a test that reads `folder`: conftest.py calls `require` before the test (and its fixtures) run."""
    return pytest.mark.corpus(folder, pattern)


def files(folder: Path, pattern: str, ids: Callable[[Path], str] = lambda p: p.stem) -> list[Any]:
    """One parameter per corpus file matching `pattern`; when there is none, one parameter marked `needs`, so the
    test is skipped (or, under CI, failed) with the reason instead of silently collected as an empty set."""
    found = sorted(folder.glob(pattern)) if folder.is_dir() else []
    if found:
        return [pytest.param(path, id=ids(path)) for path in found]
    return [pytest.param(None, id="corpus-missing", marks=needs(folder, pattern))]
