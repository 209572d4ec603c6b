"""Migration 0900_ledger_v2 converts a v1 store in place, on SQLite and PostgreSQL.

The v1 store is built with raw SQL as the code before the migration wrote it (payloads holding
the records themselves, subjects and person lists without an entry seq). After the upgrade the
v1 chain still verifies, the `ledger_v2` entry commits to the v1 head and size, every existing
row is bound to its v1 entry, and new v2 writes continue the chain.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url

from hogo.domain.ledger import GENESIS, canonical, entry_hash
from hogo.domain.provision import ProvisionRecord, ReleaseMode, persons_digest, retention_until
from hogo.domain.shredding import person_ref
from hogo.services import binding, ledger, person_keys
from hogo.services.consent import record_events
from hogo.services.erasure import erase
from hogo.services.policy import policy_document
from hogo.services.snapshots import consent_source
from hogo.services.subjects import upsert_subjects
from hogo.store.database import make_db, read_scope, upgrade, write_scope
from tests.conftest import POSTGRES_ENV
from tests.factories import at, event, person, policy

V1 = "0810_login_known_clients"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def v1_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A store at the last v1 revision, on each backend (its own database on PostgreSQL)."""
    if request.param == "sqlite":
        engine = make_db(f"sqlite:///{tmp_path / 'v1.db'}")
        upgrade(engine, V1)
        yield engine
        engine.dispose()
        return
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(f"PostgreSQL tests skipped: set {POSTGRES_ENV}")
    name = f"hogo_v1_{uuid.uuid4().hex[:10]}"
    admin = make_db(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # generated name, not input
    engine = make_db(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(engine, V1)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class _V1Writer:
    """Appends entries as v1 did (the same chain hash) and writes the rows beside them."""

    def __init__(self, conn: Connection) -> None:
        self.c = conn
        self.seq, self.head = 0, GENESIS

    def entry(self, kind: str, ref: str, payload: dict[str, Any]) -> int:
        self.seq += 1
        body = canonical(payload).decode("utf-8")
        at_text = datetime.now(UTC).isoformat(timespec="microseconds")
        digest = entry_hash(self.head, self.seq, kind, ref, at_text, body)
        self.c.execute(
            text(
                "INSERT INTO ledger_entries (seq, kind, ref, recorded_at, payload, prev_hash, hash) "
                "VALUES (:s, :k, :r, :a, :p, :h0, :h)"
            ),
            {"s": self.seq, "k": kind, "r": ref, "a": at_text, "p": body, "h0": self.head, "h": digest},
        )
        self.head = digest
        return self.seq

    def close(self) -> None:
        self.c.execute(
            text("INSERT INTO ledger_head (id, seq, hash) VALUES (1, :s, :h)"),
            {"s": self.seq, "h": self.head},
        )


def _naive(d: datetime) -> datetime:
    return d.astimezone(UTC).replace(tzinfo=None)


def _build_v1(engine: Engine) -> tuple[int, str]:
    now = _naive(datetime.now(UTC))
    with engine.begin() as c:
        w = _V1Writer(c)
        document = canonical(policy_document(policy()))
        sha = hashlib.sha256(document).hexdigest()
        seq = w.entry(
            "policy_applied",
            "policy:1",
            {"revision": 1, "sha256": sha, "added": {}, "removed": {}, "modified": {}},
        )
        c.execute(
            text(
                "INSERT INTO policy_revisions (revision, applied_at, sha256, document, ledger_seq) VALUES (1, :t, :s, :d, :q)"
            ),
            {"t": now, "s": sha, "d": document.decode(), "q": seq},
        )
        for sid in ("S1", "S2"):
            w.entry(
                "subject_added",
                f"subject:{sid}",
                {"subject_id": sid, "birth_date": "1980-05-05", "identity_verified": False},
            )
            c.execute(
                text(
                    "INSERT INTO subjects (subject_id, birth_date, identity_verified, email, created_at, updated_at) "
                    "VALUES (:i, :b, false, :e, :t, :t)"
                ),
                {"i": sid, "b": date(1980, 5, 5), "e": f"{sid.lower()}@example.jp", "t": now},
            )
        w.entry(
            "subject_updated",
            "subject:S1",
            {"subject_id": "S1", "birth_date": "1980-05-05", "identity_verified": True},
        )
        c.execute(text("UPDATE subjects SET identity_verified = true WHERE subject_id = 'S1'"))
        for e in (
            event("S1", event_id="g1"),
            event("S1", action="withdraw", when="2023-01-01T10:00", event_id="w1"),
        ):
            seq = w.entry("consent_event", f"subject:{e.subject_id}", e.model_dump(mode="json"))
            c.execute(
                text(
                    "INSERT INTO consent_events (event_id, subject_id, purpose_id, action, terms_version, method, "
                    "collected_at, foreign_transfer_info_given, recorded_at, ledger_seq) "
                    "VALUES (:i, :s, :p, :a, :v, :m, :c, false, :t, :q)"
                ),
                {"i": e.event_id, "s": e.subject_id, "p": e.purpose_id, "a": e.action.value, "v": e.terms_version,
                 "m": e.method.value, "c": _naive(e.collected_at), "t": now, "q": seq},
            )  # fmt: skip
        provided = at("2024-06-01T10:00")
        record = ProvisionRecord(
            provision_id="rel-1", mode=ReleaseMode.personal, purpose_id="ad_partners", recipient_id="adco",
            recipient_name="広告株式会社", recipient_country="JP", provided_at=provided, data_items=("email_token",),
            persons=2, persons_sha256=persons_digest(["S1", "S2"]), bases={"consent": 2},
            retention_until=retention_until(provided, "batch"),  # type: ignore[arg-type]
        )  # fmt: skip
        payload = record.model_dump(mode="json")
        seq = w.entry("provision", "provision:rel-1", payload)
        c.execute(
            text(
                "INSERT INTO provisions (provision_id, mode, purpose_id, recipient_id, provided_at, persons, "
                "persons_sha256, record, retention_until, ledger_seq) "
                "VALUES ('rel-1', 'personal', 'ad_partners', 'adco', :p, 2, :h, :r, :u, :q)"
            ),
            {"p": _naive(provided), "h": record.persons_sha256, "r": canonical(payload).decode(),
             "u": record.retention_until, "q": seq},
        )  # fmt: skip
        for sid in ("S1", "S2"):
            c.execute(
                text(
                    "INSERT INTO provision_subjects (provision_id, subject_id, basis) VALUES ('rel-1', :s, 'consent')"
                ),
                {"s": sid},
            )
        w.close()
        return w.seq, w.head


def test_a_v1_store_converts_in_place(v1_store: Engine) -> None:
    v1_size, v1_head = _build_v1(v1_store)
    upgrade(v1_store)
    with read_scope(v1_store) as s:
        chain, rows = ledger.verify_all(s)
        assert chain.ok and chain.entries == v1_size + 1
        assert rows.ok, rows.finding
        assert rows.rows == {
            "policy_revisions": 1, "subjects": 2, "consent_events": 2, "legal_exceptions": 0, "provisions": 1,
            "provision_subjects": 2, "received_provisions": 0, "received_provision_subjects": 0,
        }  # fmt: skip
        switch = ledger.entry(s, v1_size + 1)
        assert switch is not None and switch.kind == "ledger_v2" and switch.prev_hash == v1_head
        committed = switch.payload()
        assert committed["v1_head"] == v1_head and committed["v1_size"] == v1_size
        assert committed["tallies"]["consent_events"]["rows"] == 2
    with write_scope(v1_store) as s:
        assert binding.check_store(s).ok
        record_events(s, [event("S2", event_id="g2")])  # a v2 write continues the chain
    with read_scope(v1_store) as s:
        chain, rows = ledger.verify_all(s)
        assert chain.ok and rows.ok and rows.rows["consent_events"] == 3
        new = ledger.entry(s, v1_size + 2)
        assert new is not None and "row" in json.loads(new.payload_json)


def test_a_forged_v1_bound_row_is_caught_after_the_upgrade(v1_store: Engine) -> None:
    _build_v1(v1_store)
    upgrade(v1_store)
    with v1_store.begin() as c:
        c.execute(text("UPDATE consent_events SET action = 'grant' WHERE event_id = 'w1'"))
    with read_scope(v1_store) as s:
        chain, rows = ledger.verify_all(s)
    assert chain.ok and rows.finding is not None
    assert (rows.finding.table, rows.finding.key) == ("consent_events", "w1")
    with v1_store.begin() as c:
        c.execute(text("DELETE FROM consent_events WHERE event_id = 'w1'"))
    with pytest.raises(binding.StoreNotReconciled):
        consent_source(v1_store)


def test_a_store_from_before_v2_still_verifies_its_chain(v1_store: Engine) -> None:
    """An old backup opened as it is: its chain verifies, and nothing claims its rows were bound."""
    v1_size, _ = _build_v1(v1_store)
    with read_scope(v1_store) as s:
        chain, rows = ledger.verify_all(s)
        assert chain.ok and chain.entries == v1_size and not rows.bound and rows.ok


def test_migration_0930_keys_persons_on_their_next_write_and_erases_old_and_new_entries(
    v1_store: Engine,
) -> None:
    """After `0930_person_keys` old entries keep their form (the chain cannot be rewritten); a
    person's next write creates their keys and is pseudonymised; erasing reconciles both."""
    v1_size, _ = _build_v1(v1_store)
    upgrade(v1_store)
    with write_scope(v1_store) as s:
        assert binding.v3_after(s) == v1_size + 1  # rows bound up to the switch keep unkeyed digests
        assert person_keys.lookup(s, ["S1", "S2"], data=False) == {}
        upsert_subjects(s, [person("S1", verified=False)])  # supersedes S1's v1 entries
        record_events(s, [event("S2", event_id="g2")])
    with write_scope(v1_store) as s:
        chain, rows = ledger.verify_all(s)
        assert chain.ok and rows.ok, rows.finding
        keys = person_keys.lookup(s, ["S1", "S2"], data=False)
        assert set(keys) == {"S1", "S2"}
        latest = ledger.entry(s, v1_size + 2)
        assert latest is not None and latest.ref == person_ref(keys["S1"].pseudonym)
        assert '"S1"' not in latest.payload_json
        done = erase(s, "S1")
        assert done.keys_destroyed and done.rows["consent_events"] == 2
    with read_scope(v1_store) as s:
        chain, rows = ledger.verify_all(s)
        assert chain.ok and rows.ok, rows.finding
        # S1's two v1 subject entries, the v3 one, and the two v1 consent events
        assert rows.erased == 5
        # what the migration cannot do: entries written before it still name the person
        assert [e.seq for e in ledger.entries_for(s, "subject:S1")] == [2, 4, 5, 6]
