"""The privacy center (本人向けページ): what hogo shows a person about themself, and their choices.

Everything shown is read through the one path the rest of hogo uses: the decision for each
purpose is `services.consent.timeline` (the same reasons and articles as `hogo consent check`),
the purposes are described exactly as the consent notice describes them
(`domain.notice.render_notice`, whose per-purpose SHA-256 is the evidence of a choice), the
provision records are the 法29条 records that list the person (`services.provisions`, as a
法33条5項 disclosure answers), and a change is recorded through `services.capture` with method
`privacy_center`, the notice evidence and how the person was identified.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hogo.domain.clock import age_on, to_jst
from hogo.domain.consent import ConsentAction, ConsentEvent, ConsentMethod, Subject
from hogo.domain.decision import Basis, Decision, assess_purpose
from hogo.domain.notice import Language, Notice, NoticeEvidence, NoticeSection, render_notice
from hogo.domain.policy import Policy, Purpose
from hogo.domain.provision import ProvisionRecord, ReleaseMode
from hogo.domain.receipts import build_receipt
from hogo.errors import HogoError, InputError, NotFound
from hogo.services import ledger
from hogo.services.capture import GPC_KINDS, Captured, CaptureDetails, Choice, capture, gpc_purposes
from hogo.services.consent import get_event, timeline
from hogo.services.notice import PageContext, terms_version_in_force
from hogo.services.policy import current_revision
from hogo.services.policy_cache import PolicyCache
from hogo.services.privacy_access import PersonSession
from hogo.services.provisions import provisions_about

#: What a person may do about a purpose in the privacy center.
PERSON_ACTIONS = (ConsentAction.grant, ConsentAction.withdraw, ConsentAction.object)


@dataclass(frozen=True)
class PurposeView:
    purpose: Purpose
    #: What the person is shown about it: the consent notice's section (its digest is evidence).
    section: NoticeSection
    decision: Decision
    #: The person's own latest word about this purpose, if any.
    latest: ConsentEvent | None
    #: What the person can do now (grant / withdraw / object), in that order.
    actions: tuple[ConsentAction, ...]


@dataclass(frozen=True)
class ProvisionView:
    record: ProvisionRecord
    #: The basis this person's data was provided on (`decision.Basis`).
    basis: Basis | None


@dataclass(frozen=True)
class CenterView:
    subject: Subject
    policy: Policy
    notice: Notice
    purposes: tuple[PurposeView, ...]
    #: The person's consent history, newest first.
    events: tuple[ConsentEvent, ...]
    provisions: tuple[ProvisionView, ...]
    #: The person is below the policy's age for consenting alone: a guardian grants for them.
    guardian_needed: bool
    guardian_age: int
    #: Purposes GPC objects to (advertising, sale) whose latest word from the person is not yet
    #: an objection: what recording the browser's GPC signal would add.
    gpc_pending: tuple[str, ...]


class NoticeChanged(HogoError):
    def __init__(self) -> None:
        super().__init__(
            "表示中の内容が更新されました。最新の内容を確認してから、もう一度選んでください。",
            "what was shown has changed; please read the current text and choose again.",
        )


def offered_actions(
    policy: Policy, decision: Decision, latest: ConsentEvent | None, at: datetime, gpc: bool
) -> tuple[ConsentAction, ...]:
    """Grant where consent is needed and not given (not for advertising or sale under GPC, as
    the notice does not ask), withdraw a consent relied on, object unless already objected."""
    a = assess_purpose(policy, decision.purpose_id, at)
    if a.terminal or a.unnotified:
        return ()
    offered: list[ConsentAction] = []
    if a.needs_consent and not decision.allowed and not (gpc and _gpc_purpose(policy, decision.purpose_id)):
        offered.append(ConsentAction.grant)
    if decision.basis is Basis.consent:
        offered.append(ConsentAction.withdraw)
    already_objected = latest is not None and latest.action is ConsentAction.object
    if not already_objected and (decision.allowed or a.is_provision):
        offered.append(ConsentAction.object)
    return tuple(offered)


def guardian_needed(policy: Policy, subject: Subject, at: datetime) -> bool:
    """Below the policy's age (通則編 2-16: 法定代理人等の同意), a grant needs a guardian."""
    if subject.birth_date is None:
        return False
    return age_on(subject.birth_date, to_jst(at).date()) < policy.settings.guardian_consent_below_age


def _notice(session: Session, policy: Policy, lang: Language) -> Notice:
    revision = current_revision(session)
    number = revision.revision if revision is not None else 0
    return render_notice(policy, number, tuple(p.id for p in policy.purposes), lang)


def overview(
    session: Session,
    subject_id: str,
    at: datetime,
    lang: Language,
    *,
    gpc: bool = False,
    policies: PolicyCache | None = None,
) -> CenterView:
    """Everything the privacy center's page shows this person, decided at `at`."""
    answer = timeline(session, subject_id, at, policies=policies)
    policy, history = answer.policy, answer.history
    notice = _notice(session, policy, lang)
    sections = {s.purpose_id: s for s in notice.sections}
    latest = _latest_by_purpose(history.events)
    purposes = tuple(
        PurposeView(
            purpose=p,
            section=sections[p.id],
            decision=d,
            latest=latest.get(p.id),
            actions=offered_actions(policy, d, latest.get(p.id), at, gpc),
        )
        for p, d in zip(policy.purposes, answer.decisions, strict=True)
    )
    provisions = tuple(
        ProvisionView(record, Basis(basis) if basis in Basis.__members__ else None)
        for record, basis in provisions_about(session, subject_id)
        if record.mode is ReleaseMode.personal
    )
    return CenterView(
        subject=history.subject,
        policy=policy,
        notice=notice,
        purposes=purposes,
        events=tuple(reversed(history.events)),
        provisions=provisions,
        guardian_needed=guardian_needed(policy, history.subject, at),
        guardian_age=policy.settings.guardian_consent_below_age,
        gpc_pending=_gpc_pending(policy, latest),
    )


def _gpc_pending(policy: Policy, latest: dict[str, ConsentEvent]) -> tuple[str, ...]:
    return tuple(
        pid
        for pid in gpc_purposes(policy)
        if (e := latest.get(pid)) is None or e.action is not ConsentAction.object
    )


def _latest_by_purpose(events: tuple[ConsentEvent, ...]) -> dict[str, ConsentEvent]:
    latest: dict[str, ConsentEvent] = {}
    for event in events:  # in the order collected: the last one per purpose stays
        latest[event.purpose_id] = event
    return latest


@dataclass(frozen=True)
class Change:
    """One choice made in the privacy center, with what was shown and how it was made."""

    purpose_id: str
    action: ConsentAction
    #: SHA-256 of the notice section the person read (from the page), checked against the policy.
    shown_sha256: str
    language: Language
    page: PageContext
    guardian_name: str | None = None
    guardian_relation: str | None = None


def _shown(session: Session, policy: Policy, change: Change) -> tuple[NoticeSection, str]:
    notice = _notice(session, policy, change.language)
    section = next((s for s in notice.sections if s.purpose_id == change.purpose_id), None)
    if section is None:
        raise InputError("ポリシーにない利用目的です。", "unknown purpose.", field="purpose_id")
    if section.sha256 != change.shown_sha256:
        raise NoticeChanged()
    return section, notice.version


def _guardian(policy: Policy, subject: Subject, change: Change, at: datetime) -> None:
    if change.action is not ConsentAction.grant or not guardian_needed(policy, subject, at):
        return
    if not (change.guardian_name or "").strip() or not (change.guardian_relation or "").strip():
        raise InputError(
            f"{policy.settings.guardian_consent_below_age}歳未満の方の同意は、保護者(法定代理人)の"
            "氏名と続柄を入力して、保護者が行ってください。",
            f"for a person under {policy.settings.guardian_consent_below_age}, a parent or guardian "
            "consents: give their name and relationship.",
            field="guardian_name",
        )


def change_consent(
    session: Session,
    person: PersonSession,
    change: Change,
    at: datetime,
    *,
    policies: PolicyCache | None = None,
) -> Captured:
    """Record the person's choice about one purpose (and GPC's objections) through `capture`."""
    if change.action not in PERSON_ACTIONS:
        raise InputError(
            "選べるのは同意・同意の撤回・利用停止等の求めです。",
            "a choice is grant, withdraw or object.",
            field="action",
        )
    answer = timeline(session, person.subject_id, at, policies=policies)
    policy = answer.policy
    if change.page.gpc and change.action is ConsentAction.grant and _gpc_purpose(policy, change.purpose_id):
        raise InputError(
            "ブラウザのGPC(グローバル・プライバシー・コントロール)が有効なため、広告・販売の目的への同意は"
            "受け付けていません。",
            "your browser sends Global Privacy Control, so consent to advertising or sale is not taken.",
            field="action",
        )
    section, version = _shown(session, policy, change)
    _guardian(policy, answer.history.subject, change, at)
    evidence = NoticeEvidence(
        notice_version=version,
        sha256=section.sha256,
        site_id=person.site_id or "-",
        origin=change.page.origin,
        language=change.language,
        user_agent_family=change.page.user_agent_family,
        gpc=change.page.gpc,
        identity_check=person.identity_check.value,
    )
    grant = change.action is ConsentAction.grant
    details = CaptureDetails(
        subject_id=person.subject_id,
        collected_at=at,
        method=ConsentMethod.privacy_center,
        terms_version=terms_version_in_force(policy, change.purpose_id, at) if grant else None,
        evidence=evidence.text(),
        guardian_name=(change.guardian_name or "").strip() or None,
        guardian_relation=(change.guardian_relation or "").strip() or None,
        foreign_transfer_info_given=grant and section.foreign_info_complete,
    )
    prefix = f"pc-{uuid.uuid4().hex}"
    gpc = change.page.gpc and bool(_gpc_pending(policy, _latest_by_purpose(answer.history.events)))
    return capture(
        session, details, [Choice(change.purpose_id, change.action)], gpc, lambda i: f"{prefix}-{i}"
    )


@dataclass(frozen=True)
class Browser:
    """What the page and browser tell about where a choice was made (no personal data)."""

    origin: str
    user_agent_family: str


def record_gpc(session: Session, person: PersonSession, browser: Browser, at: datetime) -> Captured | None:
    """The browser sends GPC (`Sec-GPC: 1`): record it as the person's objection (法27条2項,
    法35条) to each advertising or sale purpose not objected to yet; None when there is none."""
    answer = timeline(session, person.subject_id, at)
    if not _gpc_pending(answer.policy, _latest_by_purpose(answer.history.events)):
        return None
    evidence = (
        f"hogo-gpc/1;site={person.site_id or '-'};origin={browser.origin};"
        f"ua={browser.user_agent_family};idv={person.identity_check.value}"
    )
    details = CaptureDetails(
        subject_id=person.subject_id, collected_at=at, method=ConsentMethod.privacy_center, evidence=evidence
    )
    prefix = f"pc-gpc-{uuid.uuid4().hex}"
    return capture(session, details, [], True, lambda i: f"{prefix}-{i}")


def _gpc_purpose(policy: Policy, purpose_id: str) -> bool:
    purpose = policy.purpose(purpose_id)
    return purpose is not None and purpose.kind in GPC_KINDS


def receipt(session: Session, subject_id: str, event_id: str, at: datetime) -> dict[str, object]:
    """The ISO/IEC TS 27560 receipt of one of this person's own consent events."""
    event, seq = get_event(session, event_id)
    if event.subject_id != subject_id:  # another person's event is "not found", never shown
        raise NotFound("その同意事象は記録されていません。", "no such consent event.")
    answer = timeline(session, subject_id, at)
    entry = ledger.entry(session, seq)
    if entry is None:
        raise NotFound("台帳に記録がありません。", "the ledger entry is missing.")
    return build_receipt(answer.policy, answer.history.subject, event, seq, entry.hash, personal=True)
