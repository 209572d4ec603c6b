"""A small 法31条 world: the test policy, a segment file keyed by cookie id and a confirmation file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from hogo.services.policy import apply_policy
from hogo.store.database import write_scope
from tests.factories import policy

TOKEN_KEY = "cd" * 32
AT = "2024-06-10T00:00:00+09:00"
#: c1–c5; c5 has no confirmation; c4's consent comes after the export; c6 is confirmed but not exported.
SEGMENTS = (
    'cookie,segment,score\nc1,スポーツ,0.9\nc2,=HYPERLINK("x"),0.5\nc3,旅行,0.1\nc4,料理,0.7\nc5,車,0.3\n'
)
CONFIRMATIONS = (
    "identifier,consent_obtained_at,method,foreign_info_given\n"
    "c1,2024-05-01T10:00,ウェブフォーム,true\n"
    "c2,2024-05-02,アプリの同意画面,\n"
    "c3,2024-05-03T09:00+09:00,ウェブフォーム,false\n"
    "c4,2024-07-01,ウェブフォーム,true\n"
    "c6,2024-05-01,ウェブフォーム,true\n"
)


def segment_world(store: Engine, folder: Path) -> None:
    with write_scope(store) as s:
        apply_policy(s, policy())
    (folder / "segments.csv").write_text(SEGMENTS, "utf-8")
    (folder / "confirmations.csv").write_bytes(CONFIRMATIONS.encode("cp932"))


def segment_spec(export_id: str = "seg-1", recipient: str = "adco", **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "id": export_id, "recipient": recipient, "at": AT, "identifier_kind": "cookie",
        "segments": {"path": "segments.csv", "columns": {"identifier": "cookie", "segment": "segment",
                                                         "score": "score"}},
        "items": {"segment": "cookie", "score": "cookie"},
        "confirmations": {"path": "confirmations.csv"},
        "output": {"dir": "out"},
    }  # fmt: skip
    spec.update(changes)
    return spec
