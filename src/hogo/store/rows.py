"""Reading a stored row for a service: by its key or `NotFound`, and as the service's view.

Every service that looks a row up by its primary key answers a missing one the same way (404 in
the API, the console's not-found page), and a view that repeats a row's columns is filled by
attribute name, as `hogo.api.schemas.Out.build` fills the API's outputs: what the view computes
(decoded JSON, a flag) is given by name, the rest is never copied field by field.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from hogo.errors import NotFound

Row = TypeVar("Row")
View = TypeVar("View")


def stored(session: Session, table: type[Row], key: Any, missing_ja: str, missing_en: str) -> Row:
    """The row of `table` with primary key `key`; when there is none, `NotFound` saying, in
    Japanese and English, what is missing."""
    row = session.get(table, key)
    if row is None:
        raise NotFound(missing_ja, missing_en)
    return row


def view_of(view: type[View], row: object, **computed: Any) -> View:
    """The view `view` (a dataclass or a pydantic model) of `row`: each field from `computed`,
    else the row's attribute of the same name (a field the row lacks keeps its default)."""
    names = [name for name in _fields(view) if name not in computed]
    values = {name: getattr(row, name) for name in names if hasattr(row, name)}
    return view(**values, **computed)


def _fields(view: type[Any]) -> list[str]:
    if issubclass(view, BaseModel):
        return list(view.model_fields)
    return [f.name for f in dataclasses.fields(view) if f.init]
