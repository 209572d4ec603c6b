"""The release manifest, the rule-34 checklist and the public announcement (公表事項).

Why beside the data: a business that creates 匿名加工情報 must be able to show how each of the
five measures of PPC rule 34 was met, must publish the items the data contains (法43条3項) and,
when providing it, the items and the method of provision (法43条4項). Writing these from the same
run that produced the data keeps them true; the manifest is also what the ledger records.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from hogo.anonymization.risk import RiskReport
from hogo.anonymization.unusual import UnusualReport
from hogo.domain.display import datetime_text


class ChecklistItem(BaseModel):
    measure: int
    title_ja: str
    title_en: str
    met: bool
    how_ja: str
    how_en: str


class OutputColumn(BaseModel):
    name: str
    role: str  # release_id | quasi_identifier | sensitive | kept
    level: int | None = None
    height: int | None = None


class ReleaseManifest(BaseModel):
    kind: str = "anonymized_release"
    created_at: str
    source: str
    output: str | None
    engine: str
    rows_in: int
    rows_out: int
    suppressed: int
    unusual: UnusualReport
    model: dict[str, Any]
    metric: str
    metric_value: float
    #: Named figures for comparison with other tools, e.g. ``entropy`` and ``entropy_arx``.
    metric_figures: dict[str, float] = {}
    levels: dict[str, int]
    heights: dict[str, int]
    k_achieved: int
    l_achieved: int | None
    lattice_size: int
    nodes_evaluated: int
    search_seconds: float
    columns: list[OutputColumn]
    dropped: list[str]
    id_handling: str
    risk_before: RiskReport
    risk_after: RiskReport
    checklist: list[ChecklistItem]


def build_checklist(
    *,
    dropped: list[str],
    id_handling: str,
    unusual: UnusualReport,
    k_achieved: int,
    k: int,
    suppressed: int,
    levels: dict[str, int],
    l_achieved: int | None,
) -> list[ChecklistItem]:
    """One entry per measure of rule 34, each saying what was actually done in this run."""
    dropped_text = "、".join(dropped) if dropped else "なし"
    gen_text = "、".join(f"{c}=レベル{lv}" for c, lv in levels.items())
    coded = sum(f.coded_low + f.coded_high for f in unusual.findings)
    rare = sum(f.rare_values for f in unusual.findings)
    l_text = f"、l多様性 l={l_achieved}" if l_achieved is not None else ""
    return [
        ChecklistItem(
            measure=1,
            title_ja="特定の個人を識別できる記述等の削除",
            title_en="remove descriptions that identify a person",
            met=True,
            how_ja=f"指定外の列と識別子列を削除（{dropped_text}）。準識別子は階層で一般化。",
            how_en=f"dropped unlisted and identifier columns ({', '.join(dropped) or 'none'}); "
            "quasi-identifiers generalised",
        ),
        ChecklistItem(
            measure=2,
            title_ja="個人識別符号の全部削除",
            title_en="remove all individual identification codes",
            met=True,
            how_ja="識別子らしい列名（マイナンバー・旅券・免許・メール・電話等）は出力に残さない検査を実施。",
            how_en="output refused columns whose names look like identification codes",
        ),
        ChecklistItem(
            measure=3,
            title_ja="連結符号の削除",
            title_en="remove codes linking to the source data",
            met=True,
            how_ja=f"会員IDなどの連結符号: {id_handling}。行の順序も無作為化。",
            how_en=f"linking codes: {id_handling}; row order randomised",
        ),
        ChecklistItem(
            measure=4,
            title_ja="特異な記述の削除",
            title_en="remove unusual descriptions",
            met=True,
            how_ja=f"方式 {unusual.mode.value}: 出現{unusual.min_count}件未満の値 {rare} 種を検出、"
            f"トップ・ボトムコーディング {coded} 件、削除 {unusual.removed_records} 件。"
            f"出力ではどの準識別子の値も {k_achieved} 件以上。",
            how_en=f"mode {unusual.mode.value}: {rare} rare values found, {coded} top/bottom-coded, "
            f"{unusual.removed_records} records removed; "
            f"every output value occurs at least {k_achieved} times",
        ),
        ChecklistItem(
            measure=5,
            title_ja="個人情報データベース等の性質を踏まえた適切な措置",
            title_en="other measures considering the database as a whole",
            met=k_achieved >= k,
            how_ja=f"全域一般化（{gen_text}）、k匿名性 k={k_achieved}（要求 {k}）{l_text}、"
            f"レコード削除 {suppressed} 件。",
            how_en=f"full-domain generalisation, k-anonymity k={k_achieved} (required {k}), "
            f"{suppressed} records suppressed",
        ),
    ]


def announcement_text(
    manifest: ReleaseManifest, business_name: str, provision_method: str, recipient: str | None
) -> str:
    """The Japanese public announcement (公表事項) written beside the data."""
    items = [c for c in manifest.columns if c.role != "release_id"]
    created = datetime.fromisoformat(manifest.created_at)
    lines = [
        "匿名加工情報の作成および第三者提供に関する公表",
        "",
        f"{business_name}は、個人情報の保護に関する法律第43条第3項および第4項に基づき、",
        "以下のとおり公表します。",
        "",
        f"1. 作成日時: {datetime_text(created)}",
        "2. 匿名加工情報に含まれる個人に関する情報の項目:",
    ]
    role_ja = {"quasi_identifier": "一般化済み", "sensitive": "属性", "kept": "属性"}
    lines += [f"   - {c.name}（{role_ja.get(c.role, c.role)}）" for c in items]
    lines += [
        f"3. 記録件数: {manifest.rows_out} 件",
        f"4. 第三者への提供の方法: {provision_method}",
    ]
    if recipient:
        lines.append(f"5. 提供先: {recipient}")
    lines += [
        "",
        "提供に際しては、提供先に対し当該情報が匿名加工情報である旨を明示します。",
        "当社は、匿名加工情報を他の情報と照合して本人を識別する行為を行いません。",
        "",
        f"(English) Anonymised information created {datetime_text(created, 'en')} (JST); items: "
        + ", ".join(c.name for c in items)
        + f"; method of provision: {provision_method}.",
        "",
    ]
    return "\n".join(lines)
