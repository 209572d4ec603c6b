"""Consent snapshots: the same decisions as the store, and refused once stale, altered or foreign."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from hogo.eligibility import ConsentSource, decisions_table
from hogo.errors import InputError
from hogo.services.consent import record_events
from hogo.services.policy import apply_policy
from hogo.services.subjects import upsert_subjects
from hogo.store.database import make_db, upgrade, write_scope
from hogo.store.export import StoreConsent, consent_tables
from hogo.store.snapshot import FILES, INFO_FILE, open_snapshot, write_snapshot
from tests.factories import at, event, person, policy


@pytest.fixture()
def filled(store: Engine) -> Engine:
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(
            s, [person(f"S{i}") for i in range(1, 7)] + [person("KID", birth=at("2015-01-01").date())]
        )
        record_events(
            s,
            [
                event("S1", when="2022-01-01T10:00"),
                event("S2", when="2022-01-01T10:00"),
                event("S2", action="withdraw", when="2023-01-01T10:00"),
                event("S3", action="object", when="2023-01-01T10:00"),
                event("KID", when="2023-01-01T10:00"),
            ],
        )
    return store


def _decisions(source: ConsentSource) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = decisions_table(
        policy(), source, "ad_partners", at("2024-06-01T00:00"), "adco"
    ).to_pylist()
    return rows


def test_snapshot_and_streamed_store_decide_like_the_store(filled: Engine, tmp_path: Path) -> None:
    info = write_snapshot(filled, tmp_path / "snap")
    assert info.rows == {FILES[0]: 7, FILES[1]: 5, FILES[2]: 0}
    snapshot = open_snapshot(tmp_path / "snap", filled)
    expected = _decisions(consent_tables(filled))
    assert [r["allowed"] for r in expected].count(True) >= 1
    assert _decisions(snapshot) == expected
    assert _decisions(StoreConsent(filled)) == expected


def test_snapshot_is_refused_after_a_new_consent_record(filled: Engine, tmp_path: Path) -> None:
    write_snapshot(filled, tmp_path / "snap")
    with write_scope(filled) as s:
        record_events(s, [event("S1", action="withdraw", when="2024-01-01T10:00")])
    with pytest.raises(InputError) as info:
        open_snapshot(tmp_path / "snap", filled)
    assert info.value.field == "ledger_seq"


def test_altered_or_foreign_snapshot_is_refused(filled: Engine, tmp_path: Path) -> None:
    write_snapshot(filled, tmp_path / "snap")
    events = tmp_path / "snap" / FILES[1]
    events.write_bytes(events.read_bytes()[:-10])
    with pytest.raises(InputError) as info:
        open_snapshot(tmp_path / "snap", filled)
    assert info.value.field == FILES[1]

    write_snapshot(filled, tmp_path / "snap2")
    other = make_db(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    with write_scope(other) as s:
        apply_policy(s, policy())
    with pytest.raises(InputError) as info:
        open_snapshot(tmp_path / "snap2", other)
    assert info.value.field == "ledger_hash"

    meta = json.loads((tmp_path / "snap2" / INFO_FILE).read_text("utf-8"))
    (tmp_path / "snap2" / INFO_FILE).write_text(json.dumps(meta | {"format": "other/9"}), "utf-8")
    with pytest.raises(InputError):
        open_snapshot(tmp_path / "snap2", filled)


def test_snapshot_never_overwrites_and_leaves_no_partial_folder(filled: Engine, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "snap").mkdir(parents=True)
    with pytest.raises(InputError):
        write_snapshot(filled, out / "snap")
    with pytest.raises(OperationalError):  # a store without tables: the read fails
        write_snapshot(make_db(f"sqlite:///{tmp_path / 'empty.db'}"), out / "new")
    assert [p.name for p in out.iterdir()] == ["snap"]
