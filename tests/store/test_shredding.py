"""Crypto-shredding (issue 11 item 2): an erased person is gone from the database's bytes while
the ledger, its tree and its proofs still verify.

A person with a distinctive id, guardian, evidence, e-mail and phone is registered, captured,
imported in bulk, given a legal exception, provided and received; then erased. After VACUUM
(SQLite: the file's bytes, WAL included; PostgreSQL: VACUUM FULL, then every table's rows as
text) none of those values is found anywhere, yet `ledger verify`, the Merkle tree and an
inclusion proof of the erased entries pass, and the erased entries still say what kind of entry
existed when.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, inspect, select, text

from hogo.domain import shredding as sh
from hogo.domain import transparency
from hogo.domain.consent import ConsentAction, ConsentMethod, ExceptionGround, LegalException, Subject
from hogo.domain.provision import ReleaseMode, persons_digest
from hogo.domain.received import Provider, ProviderKind, ReceivedBasis
from hogo.services import ledger, ledger_tree, person_keys
from hogo.services.capture import CaptureDetails, Choice, capture
from hogo.services.consent import record_exception
from hogo.services.consent_import import EventImport
from hogo.services.erasure import erase
from hogo.services.policy import apply_policy
from hogo.services.provisions import record_provision
from hogo.services.received import record_received
from hogo.services.subjects import upsert_subjects
from hogo.store.database import read_scope, write_scope
from hogo.store.tables import LedgerEntryRow, PersonKeyRow
from tests.factories import at, event, person, policy

WHO = "ZQSHRED7731X"
GUARDIAN = "鳥居沢しずく"
EMAIL = "zq.shred.7731@example.jp"
PHONE = "090-7731-4422"
EVIDENCE = f"paper form signed by {GUARDIAN} for {WHO}"
BIRTH = date(1977, 3, 31)
SECRETS = (WHO, GUARDIAN, EMAIL, PHONE, BIRTH.isoformat())
LISTER = Provider(kind=ProviderKind.corporation, name="名簿提供株式会社", address="大阪府大阪市北区1-2",
                  representative="提供 一郎")  # fmt: skip


def _world(store: Engine) -> None:
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(
            s,
            [Subject(subject_id=WHO, birth_date=BIRTH, identity_verified=True), person("KEEP1")],
            [(EMAIL, PHONE), ("keep@example.jp", None)],
        )
        details = CaptureDetails(
            subject_id=WHO,
            collected_at=at("2024-04-01T10:00"),
            method=ConsentMethod.paper,
            terms_version="2021-07",
            evidence=EVIDENCE,
            guardian_name=GUARDIAN,
            guardian_relation="母",
        )
        choices = [Choice("ad_partners", ConsentAction.grant), Choice("profiling", ConsentAction.grant)]
        capture(s, details, choices, gpc=False, event_id=lambda i: f"cap-{i}")
        record_exception(
            s,
            LegalException(exception_id="x-1", subject_id=WHO, purpose_id="ad_partners",
                           ground=ExceptionGround.laws, recorded_at=at("2024-04-02T10:00"),
                           note=f"request concerning {GUARDIAN}"),
        )  # fmt: skip
    with EventImport(store) as job:
        job.stage(
            [
                event(
                    WHO,
                    "service",
                    ConsentAction.grant,
                    "2024-04-03T10:00",
                    event_id="imp-1",
                    evidence=EVIDENCE,
                ),
                event("KEEP1", "service", ConsentAction.grant, "2024-04-03T10:00", event_id="imp-2"),
            ],
            [2, 3],
        )
        assert job.commit().recorded == 2
    with write_scope(store) as s:
        record_provision(s, policy(), provision_id="rel-1", mode=ReleaseMode.personal, purpose_id="ad_partners",
                         recipient_id="adco", provided_at=at("2024-06-01T10:00"), data_items=["email_token"],
                         persons=[(WHO, "consent"), ("KEEP1", "consent")])  # fmt: skip
        record_received(s, received_id="in-1", provider=LISTER, acquisition="自社会員から同意を得て取得",
                        received_at=at("2024-06-01T10:00"), data_items=["氏名"], persons=[(2, WHO), (3, "KEEP1")],
                        basis=ReceivedBasis.consent)  # fmt: skip


def _database_bytes(store: Engine, tmp_path: Path) -> bytes:
    """Everything the database holds, after the space of deleted rows is reclaimed."""
    if store.dialect.name == "sqlite":
        with store.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            c.exec_driver_sql("VACUUM")
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(str(store.url.database))
        found = [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]
        return b"".join(p.read_bytes() for p in found)
    auto = create_engine(store.url, isolation_level="AUTOCOMMIT")
    try:
        with auto.connect() as c:
            c.exec_driver_sql("VACUUM FULL")
            names = inspect(c).get_table_names()
            quote = c.dialect.identifier_preparer.quote
            texts = [
                str(
                    c.execute(
                        text(f"SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM {quote(n)} t")
                    ).scalar()
                )
                for n in names
            ]
    finally:
        auto.dispose()
    return "\n".join(texts).encode("utf-8")


def test_an_erased_person_is_gone_from_the_database_while_the_ledger_verifies(
    store: Engine, tmp_path: Path
) -> None:
    _world(store)
    before = _database_bytes(store, tmp_path)
    for value in SECRETS:  # the scan sees the rows while the person exists
        assert value.encode("utf-8") in before, value
    with read_scope(store) as s:
        pseudonym = person_keys.lookup(s, [WHO])[WHO].pseudonym
        refs = person_keys.ref_of(s, WHO)
        mine = ledger.entries_for(s, *refs)
        # the ledger itself never held the values in clear
        for row in s.execute(select(LedgerEntryRow.ref, LedgerEntryRow.payload)):
            assert not any(v in row.ref or f'"{v}' in row.payload for v in SECRETS)
        kinds = sorted(e.kind for e in mine)
        assert kinds == ["consent_event"] * 3 + ["legal_exception", "subject_added"]
        opened = [person_keys.reveal(s, e) for e in mine]
        assert {o.get("subject_id") for o in opened} == {WHO}
        assert any(o.get("guardian_name") == GUARDIAN and o.get("evidence") == EVIDENCE for o in opened)
    key = transparency.load_private_key(transparency.generate_private_key_pem())
    ledger_tree.issue_head(store, key)

    with write_scope(store) as s:
        done = erase(s, WHO)
    assert done.keys_destroyed and done.rows["consent_events"] == 3

    after = _database_bytes(store, tmp_path)
    for value in SECRETS:
        assert value.encode("utf-8") not in after, value
    assert pseudonym.encode() in after  # the entries remain, named by a pseudonym no key opens
    with read_scope(store) as s:
        chain, rows = ledger.verify_all(s)
        assert chain.ok and rows.ok, rows.finding
        assert rows.erased == len(mine)
        assert ledger_tree.verify_tree(s).ok
        assert s.scalar(select(PersonKeyRow).where(PersonKeyRow.pseudonym == pseudonym)) is None
        assert person_keys.ref_of(s, WHO) == [sh.legacy_ref(WHO)]
        gone = ledger.entries_for(s, sh.person_ref(pseudonym))
        # each erased entry still says that an entry of its kind existed at its time, not whose
        assert [(e.seq, e.kind, e.recorded_at) for e in gone] == [
            (e.seq, e.kind, e.recorded_at) for e in mine
        ]
        shown = [person_keys.reveal(s, e) for e in gone]
        assert all(v["personal_values"] == sh.ERASED and "subject_id" not in v for v in shown)
        assert [e.seq for e in person_keys.entries_about(s, f"subject:{WHO}")] == []
        # a guessed person list does not confirm the erased person against the records' digests
        sealed = {json.loads(p).get("persons_sha256") for p in s.scalars(select(LedgerEntryRow.payload))}
        assert persons_digest([WHO, "KEEP1"]) not in sealed and persons_digest([WHO]) not in sealed
    # an inclusion proof of an erased entry still verifies offline against a signed head
    proof = ledger_tree.prove(store, gone[0].seq, key)
    assert proof is not None
    assert transparency.verify_receipt(proof, key.public_key()).ok
    assert json.loads(proof["entry"]["payload"])[sh.PERSON] == pseudonym


def test_the_person_keys_are_rewrapped_under_a_new_master_key(store: Engine, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    _world(store)
    new = person_keys.write_master_key(tmp_path / "keys" / "new.key")
    assert (new.path.stat().st_mode & 0o777) == 0o600
    with write_scope(store) as s:
        done = person_keys.rotate(s, new)
    assert done.persons == 2 and done.new_key_id == new.key_id != done.old_key_id
    with read_scope(store) as s:  # the old master key no longer opens them
        entry = ledger.entries_for(s, *person_keys.ref_of(s, WHO))[0]
        with pytest.raises(person_keys.MasterKeyError):
            person_keys.reveal(s, entry)
    monkeypatch.setenv("HOGO_MASTER_KEY_FILE", str(new.path))
    with read_scope(store) as s:
        assert person_keys.reveal(s, entry)["subject_id"] == WHO
        assert ledger.verify_ledger(s).ok  # verification never needed a master key


def test_registered_persons_and_their_keys_are_read_in_one_look_up(store: Engine) -> None:
    """`person_keys.registered` (record_events' look-up) says who is registered and gives the keys
    `lookup` gives; `ensure` with those keys creates only the missing ones (a person registered
    before ledger v3 has none)."""
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person("R1"), person("R2")])
        s.execute(delete(PersonKeyRow).where(PersonKeyRow.subject_id == "R2"))
        known, keys = person_keys.registered(s, ["R1", "R2", "NOBODY"])
        assert known == {"R1", "R2"} and keys == person_keys.lookup(s, ["R1"]) and keys["R1"].data_key
        assert person_keys.registered(s, ["R1"], data=False)[1] == person_keys.lookup(s, ["R1"], data=False)
        both = person_keys.ensure(s, ["R1", "R2"], found=keys)
        assert both["R1"] == keys["R1"] and both == person_keys.lookup(s, ["R1", "R2"])
        assert person_keys.ensure(s, ["R1"], found=both) == {"R1": keys["R1"]}
