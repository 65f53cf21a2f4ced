"""File names a person sees: without the characters that make a name read as another one. Pure.

A bidirectional override reorders what follows it: `evil` + U+202E + `txt.exe` is displayed as
`evilexe.txt`. Every file name that comes from outside (an attachment of a mail, an upload) and every
download header passes through `displayable`, so the name stored, listed and downloaded is the name read.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

# the bidirectional controls (Unicode category Cf), named for the reader: `displayable` drops all of category C
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def displayable(name: str) -> str:
    """`name` without control and format characters (Unicode category C: the bidi controls, NUL, CR, LF...)."""
    return "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")


# a file name field of a contract: cleaned wherever it is read, so rows stored before the rule are shown clean too
FileName = Annotated[str, AfterValidator(displayable)]
