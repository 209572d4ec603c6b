# ruff: noqa: E501  (label tables read better one language per block)
"""Fixed texts of the readiness report, Japanese first."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "ja": {
        "title": "ランサムウェア対策 準備状況レポート", "assessed_on": "評価日", "score": "スコア",
        "grade": "評価", "passed": "問題なし", "findings": "指摘事項", "subject": "対象", "severity": "重要度",
        "why": "理由", "fix": "対策", "source": "出典", "questions": "組織的対策(質問票)", "assets": "機器一覧",
        "kind": "種別", "product": "製品", "version": "バージョン", "eol": "サポート終了日", "ports": "公開ポート",
        "mfa": "多要素認証", "failed": "指摘数", "backups": "バックアップ(3-2-1-1-0)", "source_data": "対象データ",
        "copies": "コピー数", "media": "媒体数", "offsite": "遠隔地", "isolated": "オフライン/改ざん不能",
        "generations": "最大世代数", "restore": "最終復元テスト(エラー0)", "history": "スコアの推移",
        "none": "指摘はありません。", "references": "参考資料",
        "never_pay": "身代金は支払わないでください。復号ツールは NO MORE RANSOM(https://www.nomoreransom.org/ja/)で探せます。",
    },
    "en": {
        "title": "Ransomware readiness report", "assessed_on": "Assessed on", "score": "Score", "grade": "Grade",
        "passed": "passed", "findings": "Findings", "subject": "Subject", "severity": "Severity", "why": "Why",
        "fix": "Fix", "source": "Source", "questions": "Organisational measures (questionnaire)",
        "assets": "Devices", "kind": "Kind", "product": "Product", "version": "Version", "eol": "End of life",
        "ports": "Exposed ports", "mfa": "MFA", "failed": "Findings", "backups": "Backups (3-2-1-1-0)",
        "source_data": "Source", "copies": "Copies", "media": "Media", "offsite": "Off-site",
        "isolated": "Offline/immutable", "generations": "Max generations", "restore": "Last clean restore test",
        "history": "Score over time", "none": "No findings.", "references": "References",
        "never_pay": "Never pay the ransom. Look for decryptors at NO MORE RANSOM (https://www.nomoreransom.org/).",
    },
}  # fmt: skip
