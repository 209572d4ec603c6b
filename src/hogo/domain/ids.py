"""The id alphabet, defined once: what a subject, event, purpose, recipient or category id may be.

Ids travel everywhere: URL paths, file names of releases, CSV cells, ledger entries, log lines
and both stores. So an id is printable ASCII from a small alphabet — letters, digits and
`. _ - : @` — with no whitespace, control characters, NUL (PostgreSQL refuses it in text, SQLite
stores it silently), `/` (it could not be reached in a URL path) or anything a shell or a
spreadsheet treats specially at the start other than `-`/`@` (CSV writers neutralise those).

Two lengths, one alphabet:
- `RecordId` (subject ids, event ids, exception ids): up to 128 characters. What real systems
  issue: member numbers (`M0000001`), UUIDs, `C-1`, `urn:...`-like or `user@tenant` keys.
- `Identifier` (names an organisation writes in its policy: purposes, recipients, data
  categories, datasets, roles): up to 64 characters, without `:` and `@`, because they become
  parts of release ids and folder names.

Values are never trimmed, so the schema's pattern and the validator agree (" M1" is refused, not
read as "M1"; the CSV reader trims cells). Length is checked before anything else, so a
megabyte-long "id" is refused at once; messages never repeat the value.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

RECORD_ID_MAX = 128
NAME_ID_MAX = 64
RECORD_ID_CHARS = "A-Za-z0-9._:@-"
NAME_ID_CHARS = "A-Za-z0-9._-"
RECORD_ID_PATTERN = rf"^[{RECORD_ID_CHARS}]+$"
NAME_ID_PATTERN = rf"^[{NAME_ID_CHARS}]+$"

#: Subject, event and exception ids (`M0000001`, a UUID, `C-1`).
RecordId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=RECORD_ID_MAX, pattern=RECORD_ID_PATTERN),
]
#: Policy names: purposes, recipients, data categories, datasets, roles; the ids of release,
#: profile and segment export specs (they name folders).
Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=NAME_ID_MAX, pattern=NAME_ID_PATTERN),
]


_RECORD_ID = re.compile(rf"[{RECORD_ID_CHARS}]{{1,{RECORD_ID_MAX}}}")


def is_record_id(value: str) -> bool:
    """Whether a subject/event id could exist; lookups answer "not found" for one that cannot,
    without sending NUL or control characters to the store (PostgreSQL refuses NUL in text)."""
    return len(value) <= RECORD_ID_MAX and _RECORD_ID.fullmatch(value) is not None
