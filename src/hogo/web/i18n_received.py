"""Console text for the pages of data received from third parties (法30条); merged into `i18n.MESSAGES`.

Legal terms as the law writes them: 提供者の氏名又は名称, 取得の経緯, 個人情報保護委員会.
"""

from __future__ import annotations

RECEIVED_MESSAGES: dict[str, tuple[str, str]] = {
    "nav.received": ("受領記録", "Received data"),
    "received.title": (
        "第三者から提供を受けた記録(法30条)",
        "Personal data received from third parties (art. 30)",
    ),
    "received.hint": (
        "記録はコマンド(hogo provision receive)又はAPIで作成します。本人の一覧は表示しません。",
        "Records are made from the command line (hogo provision receive) or the API. "
        "The persons are never listed here.",
    ),
    "received.none": (
        "第三者から提供を受けた記録はまだありません。",
        "No data received from third parties yet.",
    ),
    "received.id": ("受領ID", "Receipt id"),
    "received.date": ("受領日", "Received"),
    "received.provider": ("提供者の氏名又は名称", "Provider"),
    "received.kind": ("提供者の区分", "Kind of provider"),
    "received.address": ("住所", "Address"),
    "received.representative": ("代表者", "Representative"),
    "received.representative.association": ("代表者又は管理人", "Representative or administrator"),
    "received.acquisition": ("取得の経緯", "How the provider acquired the data"),
    "received.basis": ("提供の根拠", "Basis of the provision"),
    "received.basis.consent": ("本人の同意", "Consent of the person"),
    "received.basis.opt_out": ("オプトアウト(法27条2項)", "Opt-out (art. 27(2))"),
    "received.ppc_confirmed": (
        "個人情報保護委員会による公表を確認",
        "PPC publication of the filing confirmed",
    ),
    "received.ppc_not_confirmed": (
        "個人情報保護委員会による公表の確認なし",
        "PPC publication not confirmed",
    ),
    "received.items": ("項目", "Data items"),
    "received.persons": ("本人の数", "Persons"),
    "received.retention": ("保存期限", "Keep until"),
    "received.form": ("記録の方法(規則)", "Form of the record"),
    "received.form.each": ("提供の都度", "Each provision"),
    "received.form.batch": ("一括して作成", "One record for repeated provision"),
    "received.form.contract": ("契約書等による代替", "The contract stands in"),
    "received.opt_out_dates": ("受領の年月日(オプトアウト)", "Dates received (opt-out)"),
    "received.kind.corporation": ("法人", "Corporation"),
    "received.kind.association": ("法人でない団体", "Association without legal personality"),
    "received.kind.individual": ("個人", "Individual"),
    "received.ledger": ("台帳の記録番号", "Ledger entry"),
    "received.persons_h": ("本人の一覧の検証", "The list of persons"),
    "received.digest": ("本人の一覧のダイジェスト(SHA-256)", "Digest of the persons (SHA-256)"),
    "received.intact": (
        "✓ 保存されている本人の一覧は、台帳に封印されたダイジェストと一致します。",
        "✓ The stored list of persons matches the digest sealed in the ledger.",
    ),
    "received.broken": (
        "✗ 保存されている本人の一覧が、台帳に封印されたダイジェストと一致しません。"
        "記録の後に一覧が変更又は削除された可能性があります。",
        "✗ The stored list of persons does not match the digest sealed in the ledger: "
        "it may have been changed or removed after the record was made.",
    ),
    "received.privacy": (
        "本人の一覧は個人データのため表示しません(人数とダイジェストのみ)。",
        "The persons are personal data and are not shown (only their number and digest).",
    ),
}
