# ruff: noqa: E501  (question texts read better unbroken)
"""Organisational measures the NPA recommends, asked as questions.

Devices and backups can be checked from the inventory; telework rules, staff training and the
handling of vulnerability information cannot. They are asked, and an unanswered question counts
as "not done": a readiness score must not look better because nobody answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from hogo.domain.display import Labelled
from hogo.domain.readiness.catalogue import NPA_H1_2022, Check, Severity

IPA_FLOW = "IPA「情報漏えい発生時の対応ポイント集」"


class Answer(Labelled, StrEnum):
    yes = "yes"
    partial = "partial"
    no = "no"
    unknown = "unknown"
    not_applicable = "not_applicable"


#: Each question is a check: the title is the question, answered "yes" it passes.
QUESTIONS: tuple[Check, ...] = (
    Check("q.telework.rules", Severity.high,
          "テレワークの規程や運用ルールを整備していますか", "Do you have written telework rules?",
          "VPN 機器 68%・リモートデスクトップ 15% と、テレワークに使う機器が主な侵入経路です。",
          "Telework equipment (VPN 68%, remote desktop 15%) is the main way in.",
          "テレワーク規程を定め、接続方法・利用端末・禁止事項を明記してください。", "Write telework rules: how to connect, which devices, what is forbidden.",
          NPA_H1_2022),
    Check("q.telework.device_distinction", Severity.medium,
          "規程は組織支給端末と私有端末の違いを考慮していますか", "Do the rules distinguish company-issued and private devices?",
          "私有端末は組織の管理(更新・ウイルス対策・設定)が及ばず、同じ扱いにはできません。",
          "Private devices are outside the company's patching and configuration control.",
          "私有端末の利用条件(許可制、接続先の制限、業務データの保存禁止など)を定めてください。",
          "Set conditions for private devices (approval, limited access, no business data stored).",
          NPA_H1_2022),
    Check("q.telework.temporary_measures_reviewed", Severity.medium,
          "テレワーク開始時の暫定的な対策や例外措置を見直しましたか", "Have you reviewed the temporary measures and exceptions made when telework started?",
          "緊急避難的に開けたポートや例外設定が、そのまま侵入口として残りがちです。",
          "Ports and exceptions opened in a hurry tend to stay open as ways in.",
          "暫定措置を洗い出し、不要なものを廃止し、必要なものは正式な対策に置き換えてください。",
          "List the temporary measures, remove what is not needed, make the rest permanent and proper.",
          NPA_H1_2022),
    Check("q.training.staff", Severity.high,
          "従業員に対するセキュリティ教育を実施していますか", "Do staff receive security training?",
          "弱い認証情報や不審なメールによる侵入は、利用者の意識で防げるものが多くあります。",
          "Many intrusions through weak credentials or suspicious mail are stopped by aware users.",
          "年 1 回以上の教育を行い、受講記録を残してください。", "Train at least yearly and keep attendance records.",
          NPA_H1_2022),
    Check("q.training.home_router", Severity.medium,
          "家庭内ルータの点検と再設定(管理者パスワード変更・ファームウェア更新)を従業員に促していますか",
          "Do you ask staff to check and reconfigure their home routers (admin password, firmware)?",
          "自宅の作業環境に起因する事故でも会社の責任は免れません。古いルータはファームウェアが提供されないことがあります。",
          "The company is responsible even when the cause is a home setup; old routers may get no firmware.",
          "ルータの管理画面(例: 192.168.1.1)で管理者パスワードを独自のものに変え、ファームウェアを更新し、製造時期を確認するよう案内してください。",
          "Guide staff to set a unique admin password (e.g. at 192.168.1.1), update firmware and check the manufacture date.",
          NPA_H1_2022),
    Check("q.vulnerability.tracking", Severity.high,
          "利用するソフトウェア・機器の脆弱性情報を収集・周知し、対策状況を管理していますか",
          "Do you collect and share vulnerability information for your software and devices, and track fixes?",
          "VPN 機器の既知の脆弱性は公開後すぐに悪用されます。", "Known VPN flaws are exploited soon after publication.",
          "JVN・メーカーの告知を定期的に確認し、台帳の機器ごとに対応状況を記録してください。",
          "Watch JVN and vendor advisories; record the status per device in the inventory.",
          NPA_H1_2022),
    Check("q.access.unique_admin_passwords", Severity.high,
          "機器の管理者パスワードを機器ごとに独自の強いものにしていますか", "Does every device have its own strong admin password?",
          "パスワードの使い回しは 1 台の漏えいを全台の侵害に広げます。", "A reused password turns one leak into access to every device.",
          "機器ごとに異なる強いパスワードを設定し、パスワード管理ツールで管理してください。",
          "Set a different strong password per device and keep them in a password manager.",
          NPA_H1_2022),
    Check("q.incident.no_ransom", Severity.medium,
          "身代金を支払わない方針を決め、NO MORE RANSOM(復号ツール)を把握していますか",
          "Have you decided never to pay, and do you know the NO MORE RANSOM project?",
          "支払っても復元される保証はなく、再攻撃の標的になります。", "Paying guarantees nothing and marks you for another attack.",
          "支払わない方針を文書化し、https://www.nomoreransom.org/ja/ を対応手順に載せてください。",
          "Document the no-payment policy and list https://www.nomoreransom.org/ in the response plan.",
          NPA_H1_2022),
    Check("q.incident.playbook", Severity.medium,
          "インシデント発生時の対応フロー(発見・報告から事後対応まで)を決めていますか",
          "Is there an incident response flow (from discovery to lessons learned)?",
          "被害を最小化するには、発生時の対応を普段から全社で共有しておく必要があります。",
          "Damage is kept small when everyone knows the response before it is needed.",
          "IPA の 6 段階(発見・報告、初動対応、調査、通知・報告・公表、抑制措置と復旧、事後対応)で手順を定めてください。",
          "Write the six IPA steps down (report, first response, investigation, notification, recovery, follow-up).",
          IPA_FLOW),
)  # fmt: skip

QUESTION_IDS: frozenset[str] = frozenset(q.id for q in QUESTIONS)


def unknown_questions(answers: Mapping[str, Answer]) -> list[str]:
    """Answer keys that are not questions (a typo would otherwise read as 'unanswered')."""
    return sorted(k for k in answers if k not in QUESTION_IDS)


def passes(answer: Answer | None) -> bool:
    return answer in (Answer.yes, Answer.not_applicable)
