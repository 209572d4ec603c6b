"""Console text for re-consent campaigns; merged into `i18n.MESSAGES`."""

from __future__ import annotations

CAMPAIGN_MESSAGES: dict[str, tuple[str, str]] = {
    "campaigns.title": ("再同意キャンペーン", "Re-consent campaigns"),
    "campaigns.hint": (
        "規約改定で同意が及ばない利用目的について、対象者を確定して同意通知で改めて確認します。"
        "未回答は同意として数えません。作成は `hogo campaign create`。",
        "Ask the members a terms revision left uncovered, on the member site's consent notice. "
        "Not answered never counts as consent. Create one with `hogo campaign create`.",
    ),
    "campaigns.none": ("キャンペーンはまだありません。", "No campaigns yet."),
    "campaigns.id": ("キャンペーンID", "Campaign"),
    "campaigns.purposes": ("利用目的", "Purposes"),
    "campaigns.targets": ("対象者数", "Targets"),
    "campaigns.frozen": ("対象確定日時", "Targets frozen"),
    "campaigns.digest": ("対象者一覧のSHA-256(台帳に記録)", "SHA-256 of the target list (in the ledger)"),
    "campaigns.ledger": ("台帳番号", "Ledger entry"),
    "campaigns.active": ("実施中", "Running"),
    "campaigns.ended": ("終了", "Ended"),
    "campaigns.chart": ("回答の推移", "Answers over time"),
    "campaigns.chart_desc": (
        "対象者のうち各状態にある人の割合。表に同じ数値があります。",
        "Share of the targets in each state; the table has the same figures.",
    ),
    "campaigns.at": ("時点", "At"),
    "campaigns.export": (
        "対象者一覧をCSVで出力(Excel向けUTF-8)",
        "Export the targets as CSV (UTF-8 for Excel)",
    ),
    "campaigns.state.granted": ("同意", "Granted"),
    "campaigns.state.declined": ("拒否", "Declined"),
    "campaigns.state.dismissed": ("表示後に閉じた", "Seen and dismissed"),
    "campaigns.state.seen": ("表示済み・未回答", "Seen, not answered"),
    "campaigns.state.not_seen": ("未表示", "Not yet seen"),
}
