"""Print the OpenAPI document: `python -m hogo.http.openapi > docs/openapi.json`.

The document is checked into docs/ and a test fails when it differs from what the app serves.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from hogo.config import Settings


def document() -> dict[str, Any]:
    from hogo.http.app import create_app
    from hogo.services.database import open_store

    db = open_store("sqlite://", migrate=False)
    try:
        schema: dict[str, Any] = create_app(Settings(), db=db).openapi()
    finally:
        db.dispose()
    return schema


def render() -> str:
    return json.dumps(document(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
