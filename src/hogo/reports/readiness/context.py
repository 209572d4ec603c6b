"""What the readiness report page receives: one typed context, built from domain results only.

Building the context apart from rendering lets a test check what the page gets without parsing
HTML, and keeps the template free of rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from hogo.domain.clock import to_jst
from hogo.domain.display import date_text
from hogo.domain.readiness import backups as bk
from hogo.domain.readiness import eol
from hogo.domain.readiness.assessment import Assessment
from hogo.domain.readiness.catalogue import Severity
from hogo.domain.readiness.checks import CATALOGUE
from hogo.domain.readiness.inventory import Inventory
from hogo.domain.readiness.score import ScorePoint

Lang = str  # "ja" or "en"


@dataclass(frozen=True, slots=True)
class FindingRow:
    check_id: str
    severity: str
    severity_label: str
    subject: str
    title: str
    detail: str
    rationale: str
    fix: str
    reference: str


@dataclass(frozen=True, slots=True)
class AssetRow:
    id: str
    label: str
    kind: str
    product: str
    version: str
    eol: str
    exposed_ports: str
    mfa: str
    failed: int


@dataclass(frozen=True, slots=True)
class BackupRow:
    source: str
    copies: int
    media: int
    offsite: int
    isolated: int
    generations: int
    last_clean_restore: str


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    lang: Lang
    organisation: str
    assessed_on: date
    score: int
    grade: str
    failed_by_severity: list[tuple[str, int]]
    passed: int
    failed: list[FindingRow]
    questions: list[FindingRow]
    assets: list[AssetRow]
    backups: list[BackupRow]
    history: list[ScorePoint]
    references: list[str]


def _yes_no(value: bool | None, lang: Lang) -> str:
    if value is None:
        return "不明" if lang == "ja" else "unknown"
    if lang == "ja":
        return "あり" if value else "なし"
    return "yes" if value else "no"


def _row(f_check_id: str, subject: str, detail_ja: str, detail_en: str, lang: Lang) -> FindingRow:
    c = CATALOGUE[f_check_id]
    ja = lang == "ja"
    return FindingRow(
        check_id=c.id,
        severity=c.severity.value,
        severity_label=c.severity.text(lang),
        subject=subject,
        title=c.title_ja if ja else c.title_en,
        detail=detail_ja if ja else detail_en,
        rationale=c.rationale_ja if ja else c.rationale_en,
        fix=c.fix_ja if ja else c.fix_en,
        reference=c.reference,
    )


def build(
    assessment: Assessment,
    inventory: Inventory,
    catalogue: eol.EolCatalogue,
    history: Sequence[ScorePoint] = (),
    organisation: str = "",
    lang: Lang = "ja",
) -> ReadinessReport:
    failed_rows: list[FindingRow] = []
    question_rows: list[FindingRow] = []
    for f in assessment.failed:
        label = f.subject
        asset = inventory.asset(f.subject)
        if asset is not None:
            label = asset.label()
        if f.check_id.startswith("q."):
            label = ""  # the subject is the question's own id; its title already asks it
        row = _row(f.check_id, label, f.detail_ja, f.detail_en, lang)
        (question_rows if f.check_id.startswith("q.") else failed_rows).append(row)
    failures_per_subject: dict[str, int] = {}
    for f in assessment.failed:
        failures_per_subject[f.subject] = failures_per_subject.get(f.subject, 0) + 1
    assets: list[AssetRow] = []
    for a in inventory.assets:
        st = eol.status(catalogue, a, assessment.on)
        product = st.product.title if st.product else ""
        eol_text = ""
        if st.release is not None:
            eol_text = date_text(st.eol_date, lang) if st.eol_date else ("終了" if st.past_eol else "—")
        mfa = _yes_no(a.mfa, lang) if a.remote_access else "—"
        assets.append(
            AssetRow(
                id=a.id,
                label=a.label(),
                kind=a.kind.text(lang),
                product=product or f"{a.vendor} {a.model}".strip(),
                version=a.version,
                eol=eol_text,
                exposed_ports=", ".join(map(str, a.exposed_ports)),
                mfa=mfa,
                failed=failures_per_subject.get(a.id, 0),
            )
        )
    backups: list[BackupRow] = []
    for source in bk.sources(inventory.backups):
        r = bk.evaluate_source(source, inventory.backups)
        last = date_text(r.last_clean_restore_on, lang)
        source_asset = inventory.asset(source)
        name = source_asset.label() if source_asset is not None else source
        backups.append(BackupRow(name, r.copies, r.media, r.offsite, r.isolated, r.max_generations, last))
    s = assessment.score
    order = [Severity.critical, Severity.high, Severity.medium, Severity.low]
    return ReadinessReport(
        lang=lang,
        organisation=organisation,
        assessed_on=assessment.on,
        score=s.value,
        grade=s.grade,
        failed_by_severity=[(sev.text(lang), s.failed_by_severity.get(sev, 0)) for sev in order],
        passed=s.passed,
        failed=failed_rows,
        questions=question_rows,
        assets=assets,
        backups=backups,
        history=[
            ScorePoint(to_jst(p.assessed_at), p.value, p.grade)
            for p in sorted(history, key=lambda p: p.assessed_at)
        ],
        references=sorted({CATALOGUE[f.check_id].reference for f in assessment.findings}),
    )
