"""Purging confirmation records (法31条3項, applying 法30条4項) past their retention: only records
whose retention ended before the day go, in one transaction with one ledger entry of counts and
digests (no identifier); the remaining records still match their seal and the ledger verifies;
a dry run changes nothing; a record whose seal no longer holds is never purged."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.domain.ledger import EntryKind
from hogo.errors import Conflict, InputError
from hogo.matching.tokens import TokenKey
from hogo.segments.spec import parse_segment_spec
from hogo.services import ledger
from hogo.services.segment_purge import purge_records
from hogo.services.segments import PURGE_REF, confirmation_records, export_now, records_intact
from hogo.store.database import read_scope, write_scope
from hogo.store.segments import RelatedInfoConfirmationRow
from tests.segments.world import TOKEN_KEY, segment_spec, segment_world

#: Both exports are at 2024-06-10 (JST): the batch one is kept until 2027-06-10, the one a
#: contract stands in for until 2025-06-10.
BATCH_END, CONTRACT_END = date(2027, 6, 10), date(2025, 6, 10)
TODAY = date(2026, 1, 5)


@pytest.fixture()
def world(store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    segment_world(store, tmp_path)
    export_now(store, parse_segment_spec(segment_spec("seg-batch"), tmp_path))
    export_now(store, parse_segment_spec(segment_spec("seg-contract", record_form="contract"), tmp_path))
    return store


def _counts(store: Engine) -> dict[str, int]:
    with read_scope(store) as s:
        records = confirmation_records(s)
    found: dict[str, int] = {}
    for r in records:
        found[r.export_id] = found.get(r.export_id, 0) + 1
    return found


def _purges(store: Engine) -> list[ledger.LedgerRow]:
    with read_scope(store) as s:
        return ledger.entries_for(s, PURGE_REF)


def test_records_past_retention_are_purged_and_the_rest_kept_under_their_seal(world: Engine) -> None:
    store = world
    assert _counts(store) == {"seg-batch": 4, "seg-contract": 4}
    with write_scope(store) as s:
        done = purge_records(s, TODAY, today=TODAY)
    assert done.purged == 4 and not done.dry_run and done.ledger_seq is not None
    assert [(e.export_id, e.purged, e.kept, e.retention_until) for e in done.exports] == [
        ("seg-contract", 4, 0, CONTRACT_END)
    ]
    assert _counts(store) == {"seg-batch": 4}
    [entry] = _purges(store)
    assert entry.seq == done.ledger_seq and entry.kind == EntryKind.related_info_purge.value
    payload = entry.payload()
    assert payload["rows_removed"] == 4 and payload["before"] == TODAY.isoformat()
    assert payload["exports"]["seg-contract"]["remaining"]["rows"] == 0
    assert set(payload["exports"]) == {"seg-contract"}
    key = TokenKey(bytes.fromhex(TOKEN_KEY))
    assert not any(key.token("cookie", f"c{i}") in entry.payload_json for i in range(1, 7))
    assert not {f"c{i}" for i in range(1, 7)} & set(entry.payload_json.split('"'))
    with read_scope(store) as s:
        assert ledger.verdict(*ledger.verify_all(s)).ok
        assert records_intact(s, "seg-batch") and records_intact(s, "seg-contract")
    with write_scope(store) as s:  # nothing left to purge: no second entry
        again = purge_records(s, TODAY, today=TODAY)
    assert again.purged == 0 and again.ledger_seq is None and len(_purges(store)) == 1


def test_a_record_is_kept_through_its_last_day_and_a_later_day_is_refused(world: Engine) -> None:
    store = world
    with write_scope(store) as s:
        assert purge_records(s, CONTRACT_END, today=TODAY).purged == 0  # kept until, that day included
    with write_scope(store) as s, pytest.raises(InputError, match="before"):
        purge_records(s, date(2028, 1, 1), today=TODAY)  # would free the batch records early
    assert _counts(store) == {"seg-batch": 4, "seg-contract": 4} and _purges(store) == []


def test_a_dry_run_changes_nothing(world: Engine) -> None:
    store = world
    with read_scope(store) as s:
        done = purge_records(s, TODAY, dry_run=True, today=TODAY)
    assert done.dry_run and done.purged == 4 and done.ledger_seq is None
    assert _counts(store) == {"seg-batch": 4, "seg-contract": 4} and _purges(store) == []


def test_records_changed_behind_hogos_back_are_never_purged(world: Engine) -> None:
    store = world
    with write_scope(store) as s:  # the batch records' retention shortened outside hogo
        s.execute(
            update(RelatedInfoConfirmationRow)
            .where(RelatedInfoConfirmationRow.export_id == "seg-batch")
            .values(retention_until=date(2025, 1, 1))
        )
    with write_scope(store) as s, pytest.raises(Conflict, match="seg-batch"):
        purge_records(s, TODAY, today=TODAY)
    assert _counts(store) == {"seg-batch": 4, "seg-contract": 4} and _purges(store) == []


def test_a_purge_after_a_later_export_keeps_each_seal(world: Engine, tmp_path: Path) -> None:
    """Purges and exports interleave: each export's records are checked against its latest seal."""
    store = world
    with write_scope(store) as s:
        purge_records(s, TODAY, today=TODAY)
    export_now(store, parse_segment_spec(segment_spec("seg-later", record_form="contract"), tmp_path))
    with write_scope(store) as s:
        done = purge_records(s, TODAY, today=TODAY)
    assert [e.export_id for e in done.exports] == ["seg-later"] and len(_purges(store)) == 2
    with read_scope(store) as s:
        assert all(records_intact(s, e) for e in ("seg-batch", "seg-contract", "seg-later"))
        assert ledger.verdict(*ledger.verify_all(s)).ok
    with write_scope(store) as s:  # a purged record put back is found against the purge's seal
        kept = s.scalars(
            select(RelatedInfoConfirmationRow).where(RelatedInfoConfirmationRow.export_id == "seg-batch")
        ).first()
        assert kept is not None
        values = {c.key: getattr(kept, c.key) for c in RelatedInfoConfirmationRow.__table__.columns}
        s.add(RelatedInfoConfirmationRow(**{**values, "export_id": "seg-later"}))
    with read_scope(store) as s:
        assert not records_intact(s, "seg-later") and records_intact(s, "seg-batch")


def test_the_cli_asks_first_and_purges_with_yes(world: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    store = world
    if store.dialect.name != "sqlite":
        pytest.skip("the CLI path is the same on both backends; run once")
    monkeypatch.setenv("HOGO_DATABASE_URL", str(store.url))
    runner = CliRunner()
    day = ["segment", "records", "purge", "--before", "2025-06-11"]
    declined = runner.invoke(app, day, input="n\n")
    assert declined.exit_code == 1 and "続けますか" in declined.output
    assert _counts(store) == {"seg-batch": 4, "seg-contract": 4}
    dry = runner.invoke(app, [*day, "--dry-run", "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["purged"] == 4 and _purges(store) == []
    done = runner.invoke(app, [*day, "--yes", "--json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.stdout)
    assert body["purged"] == 4 and body["exports"][0]["export_id"] == "seg-contract"
    assert body["ledger_seq"] == _purges(store)[0].seq and _counts(store) == {"seg-batch": 4}
    listed = runner.invoke(app, ["segment", "records", "--json"])  # the list is still the group's own
    assert listed.exit_code == 0 and len(json.loads(listed.stdout)) == 4
    assert (
        runner.invoke(app, ["segment", "records", "purge", "--before", "2999-01-01", "--yes"]).exit_code != 0
    )
    verify = runner.invoke(app, ["ledger", "verify", "--json"])
    assert verify.exit_code == 0 and json.loads(verify.stdout)["ok"] is True
