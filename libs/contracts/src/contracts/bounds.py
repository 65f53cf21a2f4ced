"""The bounds every input of the help desk keeps (decision 0193): ids, names, tags, texts and lists.

An id is a positive PostgreSQL `integer`, the type of every service's primary keys: a larger one names
nothing, and would only fail deep in the database or its driver (out of range, an OverflowError: a 500), so
it is refused where it enters, as a 422 with the usual error body. Ids and
flags are strict: `false` is not an id and `0` is not a boolean. Strings and lists have a ceiling a real
desk never reaches, so no request can store megabytes in a name or a hundred thousand tags.
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BeforeValidator, Field, Strict

MAX_ID = 2**31 - 1  # PostgreSQL integer (serial): every primary key of every service
MAX_NAME = 200  # a person's, an organisation's, a group's name
MAX_TAG = 100  # as cases has always stored them
MAX_TAGS = 50  # on one case
MAX_IDS = 100  # followers, members, groups, attachments named in one request
MAX_FIELD_VALUE = 10_000  # one custom field value (text), as cases has always checked
MAX_FIELD_KEY = 100
MAX_FIELDS = 100  # custom field values sent in one request
MAX_OPTIONS = 200  # choices of a select custom field

Id = Annotated[int, Strict(), Ge(1), Le(MAX_ID)]
Flag = Annotated[bool, Strict()]
# an id as text or a number: path and query values (which arrive as text; "false" is still no id) and RPC
# arguments, whoever the caller
LaxId = Annotated[int, Ge(1), Le(MAX_ID)]


def _flag_text(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


# a boolean in a query string is `true` or `false`, nothing else (not 0, 1, yes, on)
FlagText = Annotated[bool, Strict(), BeforeValidator(_flag_text)]
Name = Annotated[str, Field(max_length=MAX_NAME)]
Tag = Annotated[str, Field(min_length=1, max_length=MAX_TAG)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
Ids = Annotated[list[Id], Field(max_length=MAX_IDS)]
# a custom field value as sent: text, a number, a date as text, or null to clear it
FieldValue = Annotated[str, Field(max_length=MAX_FIELD_VALUE)] | int | float | bool | None
FieldValues = Annotated[dict[Annotated[str, Field(max_length=MAX_FIELD_KEY)], FieldValue], Field(max_length=MAX_FIELDS)]
