"""Reasons a reportability assessment gives, each with its stable code and the rule it cites.

Codes are an API in the same way as `hogo.domain.reasons`: they never change meaning once
released. The articles are those in force since April 2022 (法26条, 規則7条–10条).
"""

from __future__ import annotations

from hogo.domain.reasons import Effect, ReasonType

#: `allows` marks an exemption from the duties, `informs` an item that applies or a duty to act.
A, I = Effect.allows, Effect.informs  # noqa: E741

SENSITIVE_DATA = ReasonType(
    "BREACH_SENSITIVE_DATA",
    "規則7条1号",
    I,
    "要配慮個人情報が含まれる個人データの漏えい等です(1人でも報告対象)。",
    "Personal data including 要配慮個人情報 (sensitive data) leaked; reportable even for one person.",
)
FINANCIAL_LOSS = ReasonType(
    "BREACH_FINANCIAL_LOSS",
    "規則7条2号",
    I,
    "不正に利用されることにより財産的被害が生じるおそれがある個人データ(クレジットカード番号・ログイン情報等)の漏えい等です。",
    "Personal data whose misuse could cause financial loss (card numbers, log-ins) leaked.",
)
IMPROPER_PURPOSE = ReasonType(
    "BREACH_IMPROPER_PURPOSE",
    "規則7条3号",
    I,
    "不正の目的をもって行われたおそれがある漏えい等です(不正アクセス、ランサムウェア、従業者による持出し等)。",
    "The leak may have been done for an improper purpose (unauthorised access, ransomware, insider theft).",
)
IMPROPER_PURPOSE_ACQUIRING = ReasonType(
    "BREACH_IMPROPER_PURPOSE_ACQUIRING",
    "規則7条3号",
    I,
    "個人情報取扱事業者が取得しようとしている個人情報(ウェブスキミング等)も、不正の目的による漏えい等の対象です。",
    "Personal information the business was about to acquire (e.g. web skimming) is covered too.",
)
OVER_1000_PERSONS = ReasonType(
    "BREACH_OVER_1000_PERSONS",
    "規則7条4号",
    I,
    "漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数が1,000人を超えます({persons}人)。",
    "More than 1,000 persons are involved ({persons}).",
)
ADVANCED_ENCRYPTION = ReasonType(
    "BREACH_ADVANCED_ENCRYPTION",
    "規則7条1号括弧書",
    A,
    "高度な暗号化その他の個人の権利利益を保護するために必要な措置が講じられているため、報告対象から除かれます。",
    "The data is protected by advanced encryption, so it is excluded from the reporting duty.",
)
ENCRYPTION_KEY_LEAKED = ReasonType(
    "BREACH_ENCRYPTION_KEY_LEAKED",
    "規則7条1号括弧書",
    I,
    "暗号化されていますが、復号鍵も漏えい等しているため、報告対象からは除かれません。",
    "The data is encrypted but the key leaked as well, so the exclusion does not apply.",
)
NO_TRIGGER = ReasonType(
    "BREACH_NO_TRIGGER",
    "規則7条",
    A,
    "規則7条各号のいずれにも該当しないため、個人情報保護委員会への報告及び本人への通知の義務はありません(安全管理措置としての対応と記録は必要です)。",
    "No item of rule 7 applies: no duty to report to the PPC or notify persons (still handle and record it).",
)
OUTSOURCEE_INFORMED_CLIENT = ReasonType(
    "BREACH_OUTSOURCEE_INFORMED_CLIENT",
    "法26条1項ただし書",
    A,
    "委託先として、委託元({client})に{informed_on}に通知したため、自ら報告・本人通知を行う義務はありません(委託元が報告します)。",
    "As outsourcee we informed the client ({client}) on {informed_on}; the client reports, not us.",
)
OUTSOURCEE_MUST_INFORM_CLIENT = ReasonType(
    "BREACH_OUTSOURCEE_MUST_INFORM_CLIENT",
    "法26条1項ただし書",
    I,
    "委託先として委託元({client})に速やかに通知すれば、自らの報告・本人通知の義務を免れます。通知するまでは報告義務があります。",
    "Inform the client ({client}) promptly to be exempt; until then the duty to report is ours.",
)
REPORT_TO_PPC = ReasonType(
    "BREACH_REPORT_TO_PPC",
    "法26条1項・規則8条",
    I,
    "個人情報保護委員会への報告が必要です。速報は{preliminary}まで(遅くとも{overdue_after}まで、暦日で数えます)、"
    "確報は{final}まで({final_days}日。行政機関の休日に当たる日は翌開庁日まで延びます。"
    "推奨提出日 {final_recommended})。",
    "Report to the PPC: preliminary by {preliminary} (at the latest {overdue_after}, calendar days), "
    "final by {final} ({final_days} days, moved past 行政機関の休日; "
    "recommended filing day {final_recommended}).",
)
FINAL_60_DAYS = ReasonType(
    "BREACH_FINAL_REPORT_60_DAYS",
    "規則8条2項",
    I,
    "不正の目的によるおそれがある漏えい等(規則7条3号)のため、確報の期限は60日です。",
    "For a 規則7条3号 case the final report is due within 60 days.",
)
NOTIFY_PERSONS = ReasonType(
    "BREACH_NOTIFY_PERSONS",
    "法26条2項・規則10条",
    I,
    "本人への通知が必要です(速やかに)。通知が困難な場合は公表等の代替措置を講じます。",
    "Notify the persons promptly; where that is impossible, a public announcement may substitute.",
)

ALL: tuple[ReasonType, ...] = tuple(v for v in list(globals().values()) if isinstance(v, ReasonType))
BY_CODE: dict[str, ReasonType] = {r.code: r for r in ALL}
