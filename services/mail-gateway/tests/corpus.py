"""Where the shared corpora of real-world mail live (read in place, never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path


def corpora_dir() -> Path:
    """<repo>/../shared/corpora, or $HELPDESK_CORPORA."""
    override = os.environ.get("HELPDESK_CORPORA")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3].parent / "shared" / "corpora"


ZAMMAD = corpora_dir() / "zammad-mail"
