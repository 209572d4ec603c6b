"""What each incident document receives: one typed context, built from the incident record only.

The context carries the numbered 規則8条 items already filled, so templates hold no rules and a
test can check a document's content without parsing HTML. Items hogo cannot know are marked
【調査中】 in a preliminary report (the rule asks for what is known at the time) and 【要記入】
elsewhere, so a draft never goes out with a silent gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from hogo.domain.clock import to_jst
from hogo.domain.display import Labelled
from hogo.domain.incidents.details import RULE8_ITEMS, RULE10_ITEMS, ReportDetails
from hogo.domain.incidents.facts import Facts
from hogo.domain.incidents.flow import Task, TaskStatus
from hogo.domain.incidents.reportability import Assessment
from hogo.domain.incidents.types import IncidentType
from hogo.domain.policy import AppiClass, Organization

TO_FILL = "【要記入】"
UNDER_INVESTIGATION = "【調査中】"


class DocumentKind(Labelled, StrEnum):
    ppc_preliminary = "ppc_preliminary"
    ppc_final = "ppc_final"
    notice_letter = "notice_letter"
    notice_email = "notice_email"
    announcement = "announcement"
    pmark_report = "pmark_report"


# How each draft is named where drafts are listed (console, CLI). The letter and the e-mail to the
# persons carry the same heading, so the list says which is which.
DRAFT_NAMES: dict[DocumentKind, tuple[str, str]] = {k: k.titles for k in DocumentKind} | {
    DocumentKind.notice_letter: (
        "本人への通知(書面・郵送用)— 個人情報の漏えい等に関するお知らせとお詫び",
        "Notice to the persons (letter)",
    ),
    DocumentKind.notice_email: (
        "本人への通知(電子メール本文)— 個人情報の漏えい等に関するお知らせとお詫び",
        "Notice to the persons (e-mail body)",
    ),
}

# Documents read by the persons and the public number their sections 1, 2, 3 …; the reports to the
# PPC and the P-mark body keep the rule's item numbers (規則8条1項各号), which their forms follow.
FOR_THE_PUBLIC = frozenset({DocumentKind.notice_letter, DocumentKind.notice_email, DocumentKind.announcement})


def _class_note(appi_class: AppiClass) -> str:
    """(要配慮個人情報) after a category's title; plain personal data needs no note."""
    return "" if appi_class is AppiClass.personal_data else f"({appi_class.ja})"


@dataclass(frozen=True, slots=True)
class CategoryLine:
    id: str
    title: str
    appi_class: AppiClass


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """Everything the documents draw on, as the service assembles it."""

    incident_id: str
    organization: Organization
    incident_type: IncidentType
    aware_at: datetime
    occurred_at: datetime | None
    description: str
    categories: tuple[CategoryLine, ...]
    facts: Facts
    assessment: Assessment
    details: ReportDetails
    tasks: tuple[Task, ...] = ()


@dataclass(frozen=True, slots=True)
class ItemRow:
    number: int
    title: str
    title_en: str
    text: str
    missing: bool


@dataclass(frozen=True, slots=True)
class DocumentContext:
    kind: DocumentKind
    title: str
    title_en: str
    organization: Organization
    incident_id: str
    incident_type: str
    aware_at: str
    occurred_at: str
    generated_on: str
    items: tuple[ItemRow, ...]
    reportable: bool
    triggers: tuple[int, ...]
    reasons: tuple[str, ...]
    preliminary_due: str
    final_due: str
    contact: str
    #: The last business day on or before the final-report period's end, when it differs.
    final_recommended: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def item(self, number: int) -> ItemRow:
        return next(i for i in self.items if i.number == number)

    def label(self, position: int, item: ItemRow) -> str:
        """The section's number as printed: its place for the public, the rule's item otherwise."""
        return f"{position}." if self.kind in FOR_THE_PUBLIC else f"({item.number})"


def _when(value: datetime | None) -> str:
    if value is None:
        return "不明"
    jst = to_jst(value)
    return f"{jst.year}年{jst.month}月{jst.day}日 {jst.hour:02d}時{jst.minute:02d}分"


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    d = to_jst(value).date() if isinstance(value, datetime) else value
    return f"{d.year}年{d.month}月{d.day}日"


def _done_on(tasks: tuple[Task, ...], task_id: str) -> datetime | None:
    return next((t.done_at for t in tasks if t.id == task_id and t.status is TaskStatus.done), None)


def _items(record: IncidentRecord, kind: DocumentKind) -> tuple[ItemRow, ...]:
    unknown = UNDER_INVESTIGATION if kind is DocumentKind.ppc_preliminary else TO_FILL
    d, a, f = record.details, record.assessment, record.facts
    type_ja = record.incident_type.ja
    overview = d.overview or record.description
    when = f"発生日時: {_when(record.occurred_at)}。認知日時: {_when(record.aware_at)}。"
    overview_text = f"{type_ja}。{when}\n{overview}".strip()
    data_items = "、".join(f"{c.title}{_class_note(c.appi_class)}" for c in record.categories)
    if f.card_or_login and "クレジットカード" not in data_items:
        data_items = "、".join(x for x in (data_items, "クレジットカード番号・ログイン情報等") if x)
    persons = f"{f.persons:,}人(漏えい等が発生したおそれがある者を含む)" if f.persons else ""
    notified = _done_on(record.tasks, "notify-persons")
    if d.response_to_persons:
        response = d.response_to_persons
    elif notified is not None:
        response = f"{_day(notified)}に本人への通知を行った。"
    elif a.notify_persons and a.deadlines is not None:
        response = f"{_day(a.deadlines.preliminary)}までに本人へ通知する予定(法26条2項・規則10条)。"
    else:
        response = ""
    announced = _done_on(record.tasks, "decide-announcement")
    announcement = d.announcement or (f"{_day(announced)}に公表した。" if announced else "")
    other_parts = [d.other]
    if kind in (DocumentKind.ppc_preliminary, DocumentKind.ppc_final) and a.triggers:
        other_parts.append("該当する事態: " + "、".join(f"規則7条{n}号" for n in a.triggers))
    if f.outsourcee_client:
        other_parts.append(f"委託元: {f.outsourcee_client}")
    if kind in (DocumentKind.notice_letter, DocumentKind.notice_email) and d.contact:
        other_parts.append(f"お問合せ窓口: {d.contact}")
    texts = {
        1: overview_text,
        2: data_items,
        3: persons,
        4: d.cause,
        5: d.secondary_damage,
        6: response,
        7: announcement,
        8: d.prevention,
        9: "\n".join(p for p in other_parts if p),
    }
    numbers = (
        RULE10_ITEMS
        if kind in (DocumentKind.notice_letter, DocumentKind.notice_email)
        else tuple(RULE8_ITEMS)
    )
    return tuple(
        ItemRow(n, RULE8_ITEMS[n][0], RULE8_ITEMS[n][1], texts[n] or unknown, not texts[n]) for n in numbers
    )


def build_context(record: IncidentRecord, kind: DocumentKind, today: date) -> DocumentContext:
    a = record.assessment
    title, title_en = kind.titles
    return DocumentContext(
        kind=kind,
        title=title,
        title_en=title_en,
        organization=record.organization,
        incident_id=record.incident_id,
        incident_type=record.incident_type.ja,
        aware_at=_when(record.aware_at),
        occurred_at=_when(record.occurred_at),
        generated_on=_day(today),
        items=_items(record, kind),
        reportable=a.reportable,
        triggers=a.triggers,
        reasons=tuple(f"{r.message_ja}({r.article})" for r in a.reasons),
        preliminary_due=_day(a.deadlines.preliminary) if a.deadlines else "",
        final_due=_day(a.deadlines.final) if a.deadlines else "",
        final_recommended=(
            _day(a.deadlines.final_recommended)
            if a.deadlines and a.deadlines.final_recommended != a.deadlines.final
            else ""
        ),
        contact=record.details.contact or TO_FILL,
        extra={"pmark_registration": record.details.pmark_registration or TO_FILL},
    )
