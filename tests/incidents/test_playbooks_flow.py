"""Playbooks (six steps, roles, due offsets) and the flow instantiated from them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from importlib import resources

import pytest
from pydantic import ValidationError

from hogo.domain.clock import JST
from hogo.domain.incidents import flow
from hogo.domain.incidents.deadlines import DeadlineSettings
from hogo.domain.incidents.playbooks import Playbook, PlaybookDocument, TaskTemplate, due_at
from hogo.domain.incidents.reportability import assess_reportability
from hogo.domain.incidents.types import IncidentType, Step
from hogo.domain.policy import AppiClass
from hogo.files.playbook_yaml import default_playbooks, dump_playbooks, parse_playbooks

from .builders import AWARE, facts


def test_defaults_cover_every_type_and_every_step() -> None:
    defaults = default_playbooks()
    assert defaults.missing_types() == ()
    for playbook in defaults.playbooks:
        assert {t.step for t in playbook.tasks} == set(Step)
        assert all(t.role and t.ja and t.en for t in playbook.tasks)


def test_type_specific_task_replaces_the_common_one() -> None:
    ransomware = default_playbooks().for_type(IncidentType.ransomware)
    assert ransomware is not None
    restore = [t for t in ransomware.tasks if t.id == "restore-services"]
    assert len(restore) == 1 and "バックアップ" in restore[0].ja


def test_export_then_apply_round_trips() -> None:
    defaults = default_playbooks()
    text = dump_playbooks(defaults)
    assert "common" not in text.split("\n", 1)[0]
    again = parse_playbooks(text)
    assert again == PlaybookDocument.of(defaults).expand()
    assert {p.incident_type for p in again.playbooks} == set(IncidentType)


def test_default_file_is_package_data() -> None:
    path = resources.files("hogo.domain.incidents") / "playbooks" / "default.yaml"
    assert path.is_file()


def test_a_playbook_must_cover_all_six_steps() -> None:
    task = TaskTemplate(id="only", step=Step.discovery, role="discoverer", due="1h", ja="報告する")
    with pytest.raises(ValidationError, match="steps without a task"):
        Playbook(incident_type=IncidentType.missent_email, tasks=(task,))


def test_due_offsets() -> None:
    a = assess_reportability(
        IncidentType.missent_email, facts({"m": AppiClass.sensitive}, persons=1), AWARE, DeadlineSettings()
    )
    assert due_at("2h", AWARE, a.deadlines) == AWARE + timedelta(hours=2)
    assert due_at("3d", AWARE, a.deadlines) == AWARE + timedelta(days=3)
    final = due_at("final", AWARE, a.deadlines)
    assert final is not None and final.date() == date(2026, 5, 1) and final.hour == 23
    assert due_at("final", AWARE, None) is None


def _flow(kind: IncidentType, **values: object) -> tuple[flow.Task, ...]:
    playbook = default_playbooks().for_type(kind)
    assert playbook is not None
    a = assess_reportability(kind, facts(**values), AWARE, DeadlineSettings())  # type: ignore[arg-type]
    return flow.instantiate(playbook, AWARE, a)


def test_not_reportable_incident_skips_the_ppc_tasks() -> None:
    tasks = _flow(IncidentType.missent_email, persons=3)
    by_id = {t.id: t for t in tasks}
    assert by_id["ppc-preliminary-report"].status is flow.TaskStatus.not_applicable
    assert by_id["ppc-final-report"].due_at is None
    assert by_id["pmark-report"].status is flow.TaskStatus.open


def test_reassessment_moves_the_final_report_to_60_days_and_keeps_done_tasks() -> None:
    kind = IncidentType.missent_email
    playbook = default_playbooks().for_type(kind)
    assert playbook is not None
    settings = DeadlineSettings()
    first = assess_reportability(kind, facts({"m": AppiClass.sensitive}, persons=1), AWARE, settings)
    tasks = flow.instantiate(playbook, AWARE, first)
    done_at = AWARE + timedelta(hours=1)
    tasks = flow.complete(tasks, "report-to-management", done_at)
    later = assess_reportability(
        kind, facts({"m": AppiClass.sensitive}, persons=1, improper_purpose=True), AWARE, settings
    )
    tasks = flow.retime(tasks, AWARE, later)
    by_id = {t.id: t for t in tasks}
    assert by_id["ppc-final-report"].due_at is not None
    # 60 days end on Sunday 5/31; the task is planned for the recommended day, Friday 5/29.
    assert by_id["ppc-final-report"].due_at.date() == date(2026, 5, 29)
    assert by_id["report-to-management"].status is flow.TaskStatus.done
    assert by_id["report-to-management"].done_at == done_at


def test_current_step_advances_only_when_a_step_is_finished() -> None:
    tasks = _flow(IncidentType.ransomware, persons=50)
    assert flow.current_step(tasks) is Step.discovery
    for t in tasks:
        if t.step is Step.discovery:
            tasks = flow.complete(tasks, t.id, AWARE)
    assert flow.current_step(tasks) is Step.initial_response
    for t in tasks:
        if t.status is flow.TaskStatus.open:
            tasks = flow.complete(tasks, t.id, AWARE)
    assert flow.current_step(tasks) is None


def test_overdue_tasks() -> None:
    tasks = _flow(IncidentType.ransomware, persons=50)
    now = AWARE + timedelta(hours=3)
    late = {t.id for t in flow.overdue(tasks, now)}
    assert late == {"report-to-management", "isolate-infected"}
    with pytest.raises(KeyError):
        flow.complete(tasks, "no-such-task", now)


def test_outsourcee_gets_the_inform_client_task() -> None:
    tasks = _flow(IncidentType.missent_email, persons=2000, outsourcee_client="委託元")
    by_id = {t.id: t for t in tasks}
    assert by_id["inform-client"].status is flow.TaskStatus.open
    informed = datetime(2026, 4, 1, 18, 0, tzinfo=JST)
    exempt = _flow(
        IncidentType.missent_email, persons=2000, outsourcee_client="委託元", client_informed_at=informed
    )
    by_id = {t.id: t for t in exempt}
    assert by_id["ppc-preliminary-report"].status is flow.TaskStatus.not_applicable
