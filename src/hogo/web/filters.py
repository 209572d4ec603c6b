"""What the console's boards read from their query, declared once: `?all=1` also shows the items
that are finished (closed incidents, answered requests); without it a board shows open work."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query


# No I/O: async, so FastAPI does not spend a thread-pool hop on it (as hogo.http.deps).
async def _show_all(shown: Annotated[str, Query(alias="all", max_length=8)] = "") -> bool:
    return shown == "1"


ShowAll = Annotated[bool, Depends(_show_all)]
