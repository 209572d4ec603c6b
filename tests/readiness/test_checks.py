"""Every check with a passing and a failing case; a new check without cases fails the meta-test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from hogo.domain.readiness.checks import CATALOGUE, RULES
from hogo.domain.readiness.eol import EolCatalogue
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.questionnaire import QUESTIONS, Answer
from tests.readiness.conftest import asset, good_backups, job, run_check


@dataclass(frozen=True)
class Case:
    check_id: str
    passing: Inventory
    failing: Inventory
    subject: str = "dev-1"


def inv(*assets: object, backups: tuple[object, ...] = ()) -> Inventory:
    return Inventory.model_validate({"assets": assets, "backups": backups})


PAN = {"kind": "firewall", "vendor": "Palo Alto Networks", "model": "PA-440"}
ROUTER = {"kind": "router", "vendor": "ELECOM", "model": "WRC-1167GHBK", "version": ""}

CASES = [
    Case("eol.past_end_of_life", inv(asset(version="2022")), inv(asset(version="2012 R2"))),
    Case("eol.vendor_discontinued", inv(asset(**ROUTER, manufactured_on=date(2017, 1, 1))),
         inv(asset(**ROUTER, manufactured_on=date(2016, 12, 31)))),
    Case("eol.unknown_lifecycle", inv(asset()), inv(asset(vendor="Acme", model="Box 9000", version="1.0"))),
    Case("patch.behind_latest", inv(asset(**PAN, version="11.1.13-h2")), inv(asset(**PAN, version="11.1.4-h7"))),
    Case("patch.stale", inv(asset(last_patched_on=date(2026, 9, 1))), inv(asset(last_patched_on=date(2026, 8, 1)))),
    Case("access.exposed_without_mfa", inv(asset(kind="vpn_gateway", exposed_ports=(443,), mfa=True)),
         inv(asset(kind="vpn_gateway", exposed_ports=(443,), mfa=False))),
    Case("access.rdp_exposed", inv(asset(kind="rdp_host")), inv(asset(kind="rdp_host", exposed_ports=(3389,)))),
    Case("access.default_password", inv(asset()), inv(asset(default_password_changed=False))),
    Case("telework.private_device", inv(asset(kind="pc", telework=True, ownership="company")),
         inv(asset(kind="pc", telework=True, ownership="private"))),
    Case("inventory.owner_missing", inv(asset()), inv(asset(owner=""))),
    Case("backup.missing", inv(asset(), backups=good_backups()), inv(asset(), backups=good_backups("other"))),
    Case("backup.three_copies", inv(backups=good_backups()), inv(backups=good_backups()[:1])),
    Case("backup.two_media", inv(backups=(job(media="nas"),)), inv(backups=(job(media="local_disk"),))),
    Case("backup.offsite", inv(backups=good_backups()), inv(backups=(job(),))),
    Case("backup.isolated", inv(backups=(job(offline=True),)), inv(backups=(job(),))),
    Case("backup.generations", inv(backups=(job(generations=7),)), inv(backups=(job(generations=6),))),
    Case("backup.restore_tested",
         inv(backups=(job(last_restore_test_on=date(2026, 1, 1), restore_test_errors=0),)),
         inv(backups=(job(last_restore_test_on=date(2026, 1, 1), restore_test_errors=2),))),
]  # fmt: skip


def test_every_check_has_a_case() -> None:
    covered = {c.check_id for c in CASES} | {q.id for q in QUESTIONS}
    assert covered == set(CATALOGUE) == set(RULES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.check_id)
def test_check_passes_and_fails(case: Case, catalogue: EolCatalogue) -> None:
    subject = case.subject if case.passing.assets else "dev-1"
    ok = run_check(case.check_id, case.passing, catalogue)
    bad = run_check(case.check_id, case.failing, catalogue)
    assert [(f.subject, f.passed) for f in ok] == [(subject, True)]
    assert [(f.subject, f.passed) for f in bad] == [(subject, False)]
    assert all(f.severity is CATALOGUE[case.check_id].severity for f in ok + bad)


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
@pytest.mark.parametrize(
    ("answer", "passed"),
    [(Answer.yes, True), (Answer.not_applicable, True), (Answer.partial, False), (Answer.no, False),
     (Answer.unknown, False), (None, False)],
)  # fmt: skip
def test_question_passes_only_when_done(
    question: object, answer: Answer | None, passed: bool, catalogue: EolCatalogue
) -> None:
    qid = question.id  # type: ignore[attr-defined]
    answers = {} if answer is None else {qid: answer}
    [finding] = run_check(qid, Inventory(), catalogue, answers)
    assert finding.passed is passed
    assert finding.subject == qid


def test_failing_findings_explain_themselves(catalogue: EolCatalogue) -> None:
    for case in CASES:
        for f in run_check(case.check_id, case.failing, catalogue):
            check = CATALOGUE[f.check_id]
            assert check.rationale_ja and check.fix_ja and check.reference and check.fix_en


def test_npa_figures_are_cited() -> None:
    texts = " ".join(c.rationale_ja for c in CATALOGUE.values())
    for figure in ("68%", "15%", "18.9%", "83%", "61.8%", "18.6%"):
        assert figure in texts


def test_eol_with_unpublished_date(catalogue: EolCatalogue) -> None:
    flagged = catalogue.merged(
        EolCatalogue.model_validate(
            {"products": [{"id": "acme-os", "aliases": ["acme"], "releases": [{"cycle": "1", "eol": True}]}]}
        )
    )
    [f] = run_check("eol.past_end_of_life", inv(asset(vendor="Acme", model="X", version="1.2")), flagged)
    assert not f.passed and "日付非公表" in f.detail_ja


def test_unknown_manufacture_date_under_vendor_rule(catalogue: EolCatalogue) -> None:
    router = inv(asset(**ROUTER, manufactured_on=None))
    assert run_check("eol.vendor_discontinued", router, catalogue) == []
    [f] = run_check("eol.unknown_lifecycle", router, catalogue)
    assert not f.passed and f.detail_en == "manufacture (purchase) date missing"


def test_purchase_date_stands_in_for_manufacture(catalogue: EolCatalogue) -> None:
    router = inv(asset(**ROUTER, manufactured_on=None, purchased_on=date(2015, 3, 1)))
    [f] = run_check("eol.vendor_discontinued", router, catalogue)
    assert not f.passed


def test_mfa_unknown_counts_as_missing(catalogue: EolCatalogue) -> None:
    [f] = run_check("access.exposed_without_mfa", inv(asset(exposed_ports=(3389,), mfa=None)), catalogue)
    assert not f.passed and f.detail_ja == "多要素認証の有無が未記録"


def test_never_patched_is_stale(catalogue: EolCatalogue) -> None:
    [f] = run_check("patch.stale", inv(asset(last_patched_on=None)), catalogue)
    assert not f.passed


def test_old_restore_test_fails(catalogue: EolCatalogue) -> None:
    old = inv(backups=(job(last_restore_test_on=date(2025, 11, 26), restore_test_errors=0),))
    [f] = run_check("backup.restore_tested", old, catalogue)
    assert not f.passed


def test_private_telework_device_passes_once_rules_exist(catalogue: EolCatalogue) -> None:
    private = inv(asset(kind="pc", telework=True, ownership="private"))
    answers = {"q.telework.device_distinction": Answer.yes}
    [f] = run_check("telework.private_device", private, catalogue, answers)
    assert f.passed
    assert run_check("telework.private_device", inv(asset(ownership="private")), catalogue) == []


def test_a_nas_that_is_the_backup_target_is_not_lacking_a_backup(catalogue: EolCatalogue) -> None:
    """Issue 17 item 14: the NAS holding the copies was reported as `backup.missing` (critical)."""
    nas = asset(id="nas", kind="nas", vendor="Synology", model="DS920+", version="7.2")
    fixed = inv(asset(), nas, backups=good_backups())
    findings = {f.subject: f for f in run_check("backup.missing", fixed, catalogue)}
    assert findings["dev-1"].passed and findings["nas"].passed
    assert findings["nas"].detail_en == "a backup target (holds the copies)"
    # A NAS that is neither a source nor a target still lacks a backup.
    lonely = inv(asset(), nas.model_copy(update={"id": "nas-2"}), backups=good_backups())
    assert {f.subject: f.passed for f in run_check("backup.missing", lonely, catalogue)}["nas-2"] is False


def test_a_vendor_rule_for_old_models_does_not_make_a_newer_models_lifecycle_known(
    catalogue: EolCatalogue,
) -> None:
    """Issue 17 item 14: the ELECOM rule covers models made before 2017 only."""
    old = inv(asset(**ROUTER, manufactured_on=date(2016, 6, 1)))
    new = inv(asset(**ROUTER, manufactured_on=date(2019, 6, 1)))
    [known] = run_check("eol.unknown_lifecycle", old, catalogue)
    [unknown] = run_check("eol.unknown_lifecycle", new, catalogue)
    assert known.passed
    assert not unknown.passed and "2017-01-01" in unknown.detail_en
