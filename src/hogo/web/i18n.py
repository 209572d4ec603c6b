"""Console text, Japanese first with English; legal terms as the Act writes them.

The language comes from `?lang=` (remembered in a cookie), then the cookie, then the setting.
"""

from __future__ import annotations

from collections.abc import Callable

from hogo.domain.consent import ConsentAction, ConsentMethod
from hogo.domain.policy import PurposeKind

LANGS = ("ja", "en")

MESSAGES: dict[str, tuple[str, str]] = {
    "app": ("hogo 保護 — 個人情報管理コンソール", "hogo — privacy console"),
    "skip": ("本文へ移動", "Skip to content"),
    "nav.dashboard": ("概要", "Overview"),
    "nav.policy": ("利用目的と規約", "Purposes and terms"),
    "nav.subjects": ("本人の検索", "Find a person"),
    "nav.record": ("同意の記録", "Record consent"),
    "nav.ledger": ("台帳の検証", "Ledger"),
    "nav.admin": ("ユーザーとトークン", "Users and tokens"),
    "logout": ("ログアウト", "Log out"),
    "login.title": ("ログイン", "Log in"),
    "login.username": ("ユーザー名", "User name"),
    "login.password": ("パスワード", "Password"),
    "login.submit": ("ログイン", "Log in"),
    "login.required": ("続けるにはログインしてください。", "Please log in to continue."),
    "forbidden": ("この操作の権限がありません。", "You are not allowed to do this."),
    "notfound": ("見つかりません。", "Not found."),
    "dash.title": ("組織の概要", "The organisation at a glance"),
    "dash.subjects": ("本人(会員)", "Persons (members)"),
    "dash.events": ("同意事象", "Consent events"),
    "dash.purposes": ("利用目的", "Purposes of use"),
    "dash.terms": ("規約版", "Terms versions"),
    "dash.ledger": ("台帳の記録", "Ledger entries"),
    "dash.chart": ("利用目的ごとの同意の取得状況(推移)", "Consent coverage per purpose over time"),
    "dash.chart_desc": (
        "各時点で、その利用目的に含めてよい本人の割合(同意・オプトアウト等の根拠があるもの)。",
        "Share of persons each purpose may include at each point (with consent, opt-out or another basis).",
    ),
    "dash.gap": (
        "規約改定で追加された利用目的に同意していない会員",
        "Members whose acceptance does not cover a purpose added later",
    ),
    "dash.no_policy": (
        "ポリシーが未適用です。`hogo policy apply` を実行してください。",
        "No policy applied yet.",
    ),
    "col.purpose": ("利用目的", "Purpose"),
    "col.when": ("時点", "At"),
    "col.allowed": ("含めてよい人数", "May include"),
    "col.share": ("割合", "Share"),
    "col.lacking": ("同意のない会員", "Members without consent"),
    "policy.title": ("利用目的と規約", "Purposes of use and terms"),
    "policy.org": ("個人情報取扱事業者", "Business operator"),
    "policy.purposes": ("利用目的", "Purposes of use"),
    "policy.kind": ("種類", "Kind"),
    "policy.consent": ("同意", "Consent"),
    "policy.recipients": ("提供先・委託先", "Recipients"),
    "policy.categories": ("データ区分", "Data categories"),
    "policy.terms": ("規約版と改定内容", "Terms versions and what each revision changed"),
    "policy.effective": ("施行日", "Effective from"),
    "policy.added": ("追加された利用目的", "Purposes added"),
    "policy.added_in": ("追加した規約版", "Added in terms version"),
    "policy.removed": ("削除された利用目的", "Purposes removed"),
    "policy.first": ("最初の版", "First version"),
    "policy.lacking_note": (
        "以前の版への同意は、後から追加された利用目的には及びません(法18条1項)。",
        "Acceptance of an earlier version does not cover a purpose added later (APPI art. 18(1)).",
    ),
    "required": ("必要", "Required"),
    "not_required": ("不要", "Not required"),
    "opt_out": ("オプトアウト届出", "Opt-out filed"),
    "subjects.title": ("本人の検索", "Find a person"),
    "subjects.query": ("本人ID(前方一致)", "Person id (prefix)"),
    "subjects.search": ("検索", "Search"),
    "subjects.none": ("該当する本人はいません。", "No person matches."),
    "subject.id": ("本人ID", "Person id"),
    "subject.birth": ("生年月日", "Date of birth"),
    "subject.verified": ("本人確認", "Identity verified"),
    "subject.timeline": ("同意の経過", "Consent timeline"),
    "subject.decisions": ("利用目的ごとの判定", "Decision per purpose"),
    "subject.recorded": ("同意事象を記録しました。", "The consent event was recorded."),
    "col.collected": ("取得日時", "Collected"),
    "col.action": ("行為", "Action"),
    "col.terms": ("規約版", "Terms"),
    "col.method": ("取得方法", "Method"),
    "col.event": ("事象ID", "Event id"),
    "col.result": ("判定", "Decision"),
    "col.basis": ("根拠", "Basis"),
    "col.reasons": ("理由(根拠条文)", "Reasons (article)"),
    "allowed": ("可", "Allowed"),
    "denied": ("不可", "Not allowed"),
    "yes": ("済", "Yes"),
    "no": ("未", "No"),
    "bundled": ("規約全体への同意", "Acceptance of the terms"),
    "record.title": ("同意の記録", "Record consent"),
    "record.subject": ("本人ID", "Person id"),
    "record.purpose": ("利用目的", "Purpose of use"),
    "record.action": ("行為", "Action"),
    "record.terms": ("示した規約版(任意)", "Terms version shown (optional)"),
    "record.method": ("取得方法", "Method"),
    "record.at": ("取得日時(省略時は現在)", "Collected at (now when empty)"),
    "record.evidence": ("証跡(通知文のハッシュ等、任意)", "Evidence (e.g. hash of the notice, optional)"),
    "record.guardian_name": ("法定代理人等の氏名(任意)", "Guardian's name (optional)"),
    "record.guardian_relation": ("法定代理人等の続柄(任意)", "Guardian's relation (optional)"),
    "record.foreign": (
        "外国にある第三者への提供について法28条の情報を提供した",
        "Art. 28 information on the foreign recipient was given",
    ),
    "record.submit": ("記録する", "Record"),
    "ledger.title": ("台帳の完全性", "Ledger integrity"),
    "ledger.entries": ("記録件数", "Entries"),
    "ledger.head": ("先頭ハッシュ", "Head hash"),
    "ledger.ok": (
        "改ざんは検出されませんでした(全件の連鎖を検証)。",
        "No tampering detected (the whole chain was verified).",
    ),
    "ledger.bad": (
        "不整合を検出しました。最初の不整合: 第{seq}件",
        "Inconsistency found; first bad entry: #{seq}",
    ),
    "ledger.not_verified": (
        "全件の検証は監査人・個人情報保護管理者・管理者が行えます。",
        "Auditors, privacy officers and admins can verify the whole chain.",
    ),
    "admin.title": ("ユーザーとAPIトークン", "Users and API tokens"),
    "admin.users": ("ユーザー", "Users"),
    "admin.tokens": ("APIトークン", "API tokens"),
    "admin.add_user": ("ユーザーを追加", "Add a user"),
    "admin.display_name": ("表示名", "Display name"),
    "admin.role": ("役割", "Role"),
    "admin.active": ("有効", "Active"),
    "admin.deactivate": ("無効にする", "Deactivate"),
    "admin.activate": ("有効にする", "Activate"),
    "admin.last_login": ("最終ログイン", "Last log-in"),
    "admin.token_name": ("トークン名", "Token name"),
    "admin.create_token": ("トークンを発行", "Create a token"),
    "admin.revoke": ("失効させる", "Revoke"),
    "admin.revoked": ("失効", "Revoked"),
    "admin.hint": ("先頭", "Starts with"),
    "admin.created": ("発行日", "Created"),
    "admin.last_used": ("最終利用", "Last used"),
    "admin.new_token": (
        "新しいトークンです。この画面を離れると二度と表示されません。安全な場所に保管してください。",
        "Your new token. It will not be shown again; store it safely.",
    ),
    "admin.user_added": ("ユーザーを追加しました。", "The user was added."),
    "lang.switch": ("English", "日本語"),
}

KIND_LABELS: dict[PurposeKind, tuple[str, str]] = {
    PurposeKind.internal_use: ("自社内での利用", "Internal use"),
    PurposeKind.third_party_provision: ("第三者提供", "Provision to a third party"),
    PurposeKind.targeted_advertising: ("ターゲティング広告", "Targeted advertising"),
    PurposeKind.profiling: ("プロファイリング", "Profiling"),
    PurposeKind.joint_use: ("共同利用", "Joint use"),
}
ACTION_LABELS: dict[ConsentAction, tuple[str, str]] = {
    ConsentAction.grant: ("同意", "Consent given"),
    ConsentAction.deny: ("拒否", "Refused"),
    ConsentAction.withdraw: ("同意の撤回", "Consent withdrawn"),
    ConsentAction.object: ("利用停止・提供停止の求め", "Objection (request to stop)"),
}
METHOD_LABELS: dict[ConsentMethod, tuple[str, str]] = {
    ConsentMethod.web_form: ("ウェブフォーム", "Web form"),
    ConsentMethod.app: ("アプリ", "App"),
    ConsentMethod.paper: ("書面", "Paper"),
    ConsentMethod.email: ("電子メール", "E-mail"),
    ConsentMethod.verbal: ("口頭", "Verbal"),
    ConsentMethod.api: ("API", "API"),
    ConsentMethod.import_: ("一括取込", "Import"),
    ConsentMethod.other: ("その他", "Other"),
}
BASIS_LABELS: dict[str, tuple[str, str]] = {
    "consent": ("本人の同意", "Consent"),
    "opt_out": ("オプトアウト(法27条2項)", "Opt-out (art. 27(2))"),
    "purpose_of_use": ("利用目的の範囲内", "Within the purpose of use"),
    "not_third_party": ("第三者に該当しない(法27条5項)", "Not a third party (art. 27(5))"),
    "legal_exception": ("法27条1項の例外", "Exception under art. 27(1)"),
}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def translator(lang: str) -> Callable[..., str]:
    def t(key: str, **values: object) -> str:
        text = pick(MESSAGES[key], lang)
        return text.format(**values) if values else text

    return t
