"""Incidents through the services and the store: scoping from the inventory, re-evaluation,
timeline and ledger, the board, and the notification list equal to the affected set."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import Engine

from hogo.domain.clock import JST
from hogo.domain.incidents.facts import FactsUpdate
from hogo.domain.incidents.types import IncidentType
from hogo.errors import InputError, NotFound
from hogo.files.csv_headers import HeaderStyle
from hogo.reports.incidents.context import DocumentKind
from hogo.services import incident_documents, incidents, ledger
from hogo.services.incident_views import IncidentView
from hogo.store.database import write_scope

from .builders import AWARE
from .conftest import MEMBERS, PATIENTS


def _open(engine: Engine, kind: IncidentType, **kwargs: object) -> IncidentView:
    with write_scope(engine) as session:
        return incidents.open_new(session, kind, AWARE, "テスト事案", **kwargs)  # type: ignore[arg-type]


def test_members_list_sent_to_a_wrong_list_is_item_4(seeded: Engine) -> None:
    view = _open(seeded, IncidentType.missent_email, dataset_ids=["members"])
    assert view.id == "INC-2026-0001"
    assert view.persons == 1500 and view.reportable and view.triggers == (4,)
    assert view.deadlines.preliminary == date(2026, 4, 4) and view.deadlines.final == date(2026, 5, 1)
    assert view.step is not None and view.step.number == 1


def test_clinic_records_are_sensitive_even_for_three_persons(seeded: Engine) -> None:
    view = _open(seeded, IncidentType.missent_post_fax, dataset_ids=["clinic"])
    assert view.persons == 3 and view.triggers == (1,)


def test_paper_forms_count_without_subjects(seeded: Engine) -> None:
    view = _open(seeded, IncidentType.loss_theft, dataset_ids=["forms"], subject_ids=["X1"])
    assert view.persons == 41 and not view.reportable


def test_laptop_with_advanced_encryption_is_excluded(seeded: Engine) -> None:
    view = _open(seeded, IncidentType.loss_theft, dataset_ids=["laptop"])
    assert view.persons == len(MEMBERS) + len(PATIENTS) + 1
    assert not view.reportable and view.excluded_triggers == (1, 4)
    with write_scope(seeded) as session:
        later = incidents.record_facts(session, view.id, FactsUpdate(key_leaked=True))
    assert later.reportable and later.triggers == (1, 4)


def test_facts_change_re_evaluates_and_moves_the_final_task(seeded: Engine) -> None:
    view = _open(seeded, IncidentType.missent_email, dataset_ids=["clinic"])
    assert view.deadlines.final_days == 30
    with write_scope(seeded) as session:
        later = incidents.record_facts(session, view.id, FactsUpdate(improper_purpose=True))
    # 60 days end on Sunday 5/31: the statutory day is Monday 6/1 (行政機関の休日に関する法律2条);
    # the task is planned for the recommended day, Friday 5/29.
    assert later.triggers == (1, 3) and later.deadlines.final_period_end == date(2026, 5, 31)
    assert (later.deadlines.final, later.deadlines.final_recommended) == (date(2026, 6, 1), date(2026, 5, 29))
    final_task = next(t for t in later.tasks if t.id == "ppc-final-report")
    assert final_task.due_at is not None and final_task.due_at.date() == date(2026, 5, 29)
    with write_scope(seeded) as session:
        kinds = [e.kind.value for e in incidents.timeline(session, view.id)]
        assert kinds == ["opened", "assessment", "facts", "assessment"]
        entries = ledger.entries_for(session, view.id)
        assert len(entries) == 4
        assert all("テスト事案" not in e.payload_json for e in entries), "no description in the ledger"
        assert ledger.verify_ledger(session).ok


def test_unknown_fact_value_names_the_field(seeded: Engine) -> None:
    view = _open(seeded, IncidentType.missent_email, dataset_ids=["clinic"])
    with write_scope(seeded) as session, pytest.raises(InputError) as info:
        incidents.record_facts(session, view.id, incidents.facts_update({"persons": -1}))
    assert info.value.field == "persons"


def test_occurrence_after_awareness_is_refused(seeded: Engine) -> None:
    with pytest.raises(InputError) as info:
        _open(seeded, IncidentType.missent_email, occurred_at=AWARE + timedelta(hours=1))
    assert info.value.field == "occurred_at"


def test_unknown_dataset_and_incident(seeded: Engine) -> None:
    with pytest.raises(InputError):
        _open(seeded, IncidentType.missent_email, dataset_ids=["nope"])
    with write_scope(seeded) as session, pytest.raises(NotFound):
        incidents.get(session, "INC-1999-0001")


def test_outsourcee_leak_reported_to_the_client(seeded: Engine) -> None:
    informed = (AWARE + timedelta(hours=5)).isoformat()
    view = _open(
        seeded,
        IncidentType.unauthorised_access,
        dataset_ids=["clinic"],
        facts=incidents.facts_update({"outsourcee_client": "委託元株式会社", "client_informed_at": informed}),
    )
    assert not view.reportable and view.report_to_client and view.triggers == (1, 3)
    assert "BREACH_OUTSOURCEE_INFORMED_CLIENT" in [r.code for r in view.reasons]


def test_tasks_evidence_and_board(seeded: Engine) -> None:
    view = _open(seeded, IncidentType.ransomware, dataset_ids=["clinic"])
    with write_scope(seeded) as session:
        evidence = incidents.add_evidence(session, view.id, "server.log", b"log line\n")
        assert evidence["sha256"] == hashlib.sha256(b"log line\n").hexdigest() and evidence["bytes"] == 9
        entry = ledger.entry(session, evidence["ledger_seq"])
        assert entry is not None and evidence["sha256"] in entry.payload_json
    now = datetime(2026, 4, 5, 12, 0, tzinfo=JST)
    with write_scope(seeded) as session:
        row = incidents.board(session, now)[0]
    assert row.preliminary_state is not None and row.preliminary_state.value == "due_passed"
    # 60 days end on Sunday 5/31, so the statutory day is Monday 6/1: 57 days from 4/5.
    assert row.preliminary_days_left == -1 and row.final_days_left == 57
    assert "isolate-infected" in row.overdue_tasks
    with write_scope(seeded) as session:
        incidents.complete_task(session, view.id, "ppc-preliminary-report", now)
        row = incidents.board(session, now)[0]
    assert row.preliminary_state is not None and row.preliminary_state.value == "done"
    assert row.preliminary_days_left is None


def test_notification_list_equals_the_affected_set(seeded: Engine) -> None:
    view = _open(seeded, IncidentType.missent_email, dataset_ids=["members", "clinic"], subject_ids=["X1"])
    with write_scope(seeded) as session:
        affected = set(incidents.affected_subjects(session, view.id))
        docs = incident_documents.draft(
            session,
            view.id,
            [DocumentKind.notice_email],
            ["json"],
            date(2026, 4, 2),
            headers=HeaderStyle.machine,
            notification_list=True,
        )
    assert affected == set(MEMBERS) | set(PATIENTS) | {"X1"}
    listing = next(d for d in docs if d.kind == "notification_list")
    rows = list(csv.DictReader(io.StringIO(listing.data.decode("utf-8-sig"))))
    assert {r["subject_id"] for r in rows} == affected and len(rows) == len(affected)
    channels = {r["subject_id"]: r["channel"] for r in rows}
    assert channels["M00001"] == "email" and channels["P1"] == "phone" and channels["P2"] == "none"
    assert channels["P3"] == "email" and channels["X1"] == "none"
    with write_scope(seeded) as session:
        documents = [e for e in incidents.timeline(session, view.id) if e.kind.value == "document"]
    assert len(documents) == len(docs)


def test_incidents_opened_at_the_same_time_get_different_numbers(seeded: Engine) -> None:
    import threading

    from hogo.store.database import write_scope

    ids: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def open_one() -> None:
        start.wait()
        try:
            with write_scope(seeded) as session:
                ids.append(incidents.open_new(session, IncidentType.loss_theft, AWARE, "同時").id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(ids) == [f"INC-2026-{n:04d}" for n in range(1, 5)]
    with write_scope(seeded) as session:
        assert ledger.verify_ledger(session).ok
