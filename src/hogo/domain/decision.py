"""May we use or provide this person's data for this purpose now? — answered with cited reasons.

The decision is split in two so that the bulk engine can share it: `assess_purpose` looks only at the
policy (it is the same for every person), `decide` adds one person's history. The bulk engine in
`hogo.engines.eligibility` implements the per-person part set-wise and is tested for equality
with `decide`.

Per-person semantics, in order:
1. a recorded 法27条1項 exception that applies at `at` allows;
2. a purpose that was never notified, or whose terms are not yet effective, is denied;
3. a purpose that needs no consent is allowed unless the person objected (法35条);
4. otherwise the latest relevant consent event at or before `at` decides (ties: the more
   protective action wins); a grant must be valid (terms version contains the purpose, identity
   verified, guardian for a child, 法28 information for a foreign recipient);
5. failing consent, a filed opt-out allows unless barred or the person objected.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from hogo.domain import display
from hogo.domain import reasons as R
from hogo.domain.clock import age_on, as_aware, to_jst
from hogo.domain.consent import (
    ALL_PURPOSES_IN_TERMS,
    ConsentAction,
    ConsentEvent,
    Subject,
    SubjectHistory,
)
from hogo.domain.display import Labelled
from hogo.domain.model import Frozen
from hogo.domain.policy import (
    AppiClass,
    OptOutFiling,
    Policy,
    Purpose,
    PurposeKind,
    Recipient,
    Relationship,
)


class Basis(Labelled, StrEnum):
    consent = "consent"
    opt_out = "opt_out"
    purpose_of_use = "purpose_of_use"
    not_third_party = "not_third_party"
    legal_exception = "legal_exception"


class Reason(Frozen):
    code: str
    article: str
    effect: R.Effect
    message_ja: str
    message_en: str
    #: What the messages name, for machines: ids (not titles) and ISO-8601 times. The messages
    #: are for people (titles, 2023年4月12日 9:00), so clients branch on `code` and read these.
    params: dict[str, str] = Field(default_factory=dict)


class Decision(Frozen):
    subject_id: str
    purpose_id: str
    recipient_id: str | None
    at: datetime
    allowed: bool
    basis: Basis | None
    reasons: tuple[Reason, ...]
    event_id: str | None = None


def reason(kind: R.ReasonType, **values: Any) -> Reason:
    """The reason with its messages written for people (`display`) and its values for machines."""
    machine = {k: display.machine_text(v) for k, v in values.items()}
    return Reason(
        code=kind.code,
        article=kind.article.format(**machine),
        effect=kind.effect,
        message_ja=kind.ja.format(**{k: display.value_text(v, "ja") for k, v in values.items()}),
        message_en=kind.en.format(**{k: display.value_text(v, "en") for k, v in values.items()}),
        params=machine,
    )


_PROVIDING_KINDS = {
    PurposeKind.third_party_provision,
    PurposeKind.joint_use,
    PurposeKind.targeted_advertising,
}
_RELATIONSHIP_REASONS = {
    Relationship.outsourcee: R.NOT_THIRD_PARTY_OUTSOURCEE,
    Relationship.successor: R.NOT_THIRD_PARTY_SUCCESSOR,
    Relationship.joint_use: R.NOT_THIRD_PARTY_JOINT_USE,
}
_OBJECTING = {ConsentAction.deny, ConsentAction.withdraw, ConsentAction.object}


@dataclass(frozen=True)
class Assessment:
    """What the policy alone says about a purpose (and recipient) at a time."""

    purpose_id: str
    recipient_id: str | None
    at: datetime
    purpose: Purpose | None = None
    #: Denials no person's history can lift (unknown purpose, My Number provision).
    terminal: tuple[Reason, ...] = ()
    #: Denials only a recorded legal exception can lift (purpose not notified or not in force).
    unnotified: tuple[Reason, ...] = ()
    is_provision: bool = False
    needs_consent: bool = False
    consent_article: str = "法18条1項"
    foreign_consent_needed: bool = False
    foreign_country: str = ""
    #: 法27条5項: why the recipients are not third parties (empty for a third-party provision).
    relationship: tuple[Reason, ...] = ()
    informs: tuple[Reason, ...] = ()
    opt_out_available: bool = False
    opt_out_bans: tuple[Reason, ...] = ()
    opt_out_filed_on: date | None = None
    guardian_below_age: int = 16
    require_identity: bool = True
    #: Policy setting: does accepting terms as a whole undo a purpose-specific refusal?
    blanket_revives: bool = False
    purposes_by_terms: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def exception_article_prefix(self) -> str:
        return "法27条1項" if self.is_provision else "法18条3項"


def assess_purpose(
    policy: Policy, purpose_id: str, at: datetime, recipient_id: str | None = None
) -> Assessment:
    at = as_aware(at)
    base: dict[str, Any] = {
        "purpose_id": purpose_id,
        "recipient_id": recipient_id,
        "at": at,
        "guardian_below_age": policy.settings.guardian_consent_below_age,
        "require_identity": policy.settings.require_identity_verification,
        "blanket_revives": policy.settings.blanket_acceptance_revives_specific_refusal,
        "purposes_by_terms": {t.version: frozenset(t.purposes) for t in policy.terms},
    }
    purpose = policy.purpose(purpose_id)
    chosen_recipient = policy.recipient(recipient_id) if recipient_id is not None else None
    names: dict[str, Any] = {
        "purpose": display.Named(purpose_id, purpose.title if purpose else purpose_id),
        "recipient": display.Named(
            recipient_id or "", chosen_recipient.name if chosen_recipient else recipient_id or ""
        ),
    }
    if purpose is None:
        return Assessment(**base, terminal=(reason(R.PURPOSE_UNKNOWN, **names),))
    base["purpose"] = purpose
    recipients = _recipients(policy, purpose, recipient_id, names)
    if isinstance(recipients, Reason):
        return Assessment(**base, terminal=(recipients,))
    is_provision = recipient_id is not None or (purpose.kind in _PROVIDING_KINDS and bool(recipients))
    classes = policy.classes_of(purpose)
    informs: list[Reason] = []

    if AppiClass.my_number in classes:
        if is_provision:
            return Assessment(**base, is_provision=True, terminal=(reason(R.MY_NUMBER_PROVISION_PROHIBITED),))
        informs.append(reason(R.MY_NUMBER_USE_LIMITED))

    day = to_jst(at).date()
    foreign = [r for r in recipients if r.needs_foreign_transfer_consent] if is_provision else []
    if is_provision:
        informs.extend(
            reason(R.FOREIGN_TRANSFER_DESIGNATED, country=_country(r.country))
            for r in recipients
            if r.is_foreign and not r.needs_foreign_transfer_consent
        )
    third_party = is_provision and any(
        r.relationship is Relationship.third_party or r.needs_foreign_transfer_consent for r in recipients
    )
    relationship = _relationship_reasons(recipients) if is_provision and not third_party else []

    sensitive = AppiClass.sensitive in classes
    related_only = classes == {AppiClass.personal_related}
    if third_party:
        informs.append(
            reason(R.PERSONAL_RELATED_CONSENT_REQUIRED if related_only else R.THIRD_PARTY_CONSENT_REQUIRED)
        )
    if sensitive and not purpose.requires_consent:
        informs.append(reason(R.SENSITIVE_DATA_CONSENT_REQUIRED))

    opt_out = purpose.opt_out if third_party and purpose.kind is PurposeKind.third_party_provision else None
    return Assessment(
        **base,
        unnotified=_unnotified(policy, purpose_id, day, names),
        is_provision=is_provision,
        needs_consent=purpose.requires_consent or sensitive or third_party,
        consent_article=_consent_article(third_party, bool(foreign), related_only, sensitive),
        foreign_consent_needed=bool(foreign),
        foreign_country=",".join(sorted({r.country for r in foreign})),
        relationship=tuple(relationship),
        informs=tuple(informs),
        opt_out_available=opt_out is not None,
        opt_out_bans=_opt_out_bans(opt_out, sensitive, bool(foreign), day) if opt_out else (),
        opt_out_filed_on=opt_out.filed_with_ppc_on if opt_out else None,
    )


def _recipients(
    policy: Policy, purpose: Purpose, recipient_id: str | None, names: dict[str, Any]
) -> list[Recipient] | Reason:
    """The recipients a question is about: the one asked for (or the reason it cannot be), else
    every recipient the purpose names."""
    if recipient_id is None:
        return [r for rid in purpose.recipients if (r := policy.recipient(rid)) is not None]
    chosen = policy.recipient(recipient_id)
    if chosen is None:
        return reason(R.RECIPIENT_UNKNOWN, **names)
    if recipient_id not in purpose.recipients:
        return reason(R.RECIPIENT_NOT_IN_PURPOSE, **names)
    return [chosen]


def _unnotified(policy: Policy, purpose_id: str, day: date, names: dict[str, Any]) -> tuple[Reason, ...]:
    """Why the purpose has not been notified or published yet on `day` (法21条), if it has not."""
    terms = policy.terms_including(purpose_id)
    if not terms:
        return (reason(R.PURPOSE_NOT_IN_TERMS, **names),)
    if all(t.effective_from > day for t in terms):
        return (reason(R.TERMS_NOT_YET_EFFECTIVE, **names, effective_from=terms[0].effective_from),)
    return ()


def _relationship_reasons(recipients: Sequence[Recipient]) -> list[Reason]:
    """Why a provision to these recipients is not one to a third party: one reason per relationship."""
    return [
        reason(
            _RELATIONSHIP_REASONS[rel],
            recipient=display.Named(
                ",".join(r.id for r in recipients if r.relationship is rel),
                "、".join(r.name for r in recipients if r.relationship is rel),
            ),
        )
        for rel in sorted({r.relationship for r in recipients})
    ]


def _consent_article(third_party: bool, foreign: bool, related_only: bool, sensitive: bool) -> str:
    """The article under which consent is asked: foreign transfer, personal-related information,
    third-party provision, sensitive data, or use beyond the purpose."""
    if third_party:
        return "法28条1項" if foreign else ("法31条1項" if related_only else "法27条1項")
    return "法20条2項" if sensitive else "法18条1項"


def _opt_out_bans(opt_out: OptOutFiling, sensitive: bool, foreign: bool, day: date) -> tuple[Reason, ...]:
    """Why the opt-out route (法27条2項) is closed for this provision, if it is."""
    bans: list[Reason] = []
    if sensitive:
        bans.append(reason(R.OPT_OUT_SENSITIVE_BANNED))
    if foreign:
        bans.append(reason(R.OPT_OUT_FOREIGN_BANNED))
    if opt_out.filed_with_ppc_on > day:
        bans.append(reason(R.OPT_OUT_NOT_YET_FILED, filed_on=opt_out.filed_with_ppc_on))
    return tuple(bans)


def decide(
    policy: Policy,
    history: SubjectHistory,
    purpose_id: str,
    at: datetime,
    recipient_id: str | None = None,
) -> Decision:
    return decide_assessed(assess_purpose(policy, purpose_id, at, recipient_id), history)


def is_relevant(event: ConsentEvent, purpose_id: str, purposes_by_terms: dict[str, frozenset[str]]) -> bool:
    """Does this event speak about this purpose? A bundled event speaks for its terms' purposes."""
    if event.purpose_id == purpose_id:
        return True
    if event.purpose_id != ALL_PURPOSES_IN_TERMS:
        return False
    if event.terms_version is None:  # "withdraw everything"; a bundled grant always names terms
        return event.action is not ConsentAction.grant
    return purpose_id in purposes_by_terms.get(event.terms_version, frozenset())


def latest_relevant(a: Assessment, events: Iterable[ConsentEvent]) -> ConsentEvent | None:
    relevant = [
        e for e in events if e.collected_at <= a.at and is_relevant(e, a.purpose_id, a.purposes_by_terms)
    ]
    return max(relevant, key=ConsentEvent.order_key, default=None)


def decide_assessed(a: Assessment, history: SubjectHistory) -> Decision:
    subject = history.subject
    notes: list[Reason] = []  # per-person `informs` reasons

    def done(
        allowed: bool, basis: Basis | None, rs: Iterable[Reason], event: ConsentEvent | None = None
    ) -> Decision:
        return Decision(
            subject_id=subject.subject_id,
            purpose_id=a.purpose_id,
            recipient_id=a.recipient_id,
            at=a.at,
            allowed=allowed,
            basis=basis,
            reasons=(*rs, *notes, *a.informs),
            event_id=event.event_id if event else None,
        )

    if a.terminal:
        return done(False, None, a.terminal)

    excepted = _legal_exception(a, history)
    if excepted is not None:
        return done(True, Basis.legal_exception, [excepted])

    if a.unnotified:
        return done(False, None, a.unnotified)

    latest, notes[:] = blanket_after_refusal(a, history.events, latest_relevant(a, history.events))
    names = {"purpose": _purpose_name(a)}

    if not a.needs_consent:
        return done(*_without_consent(a, latest, names))

    consent_reasons = _consent_reasons(a, history, latest)
    if not consent_reasons:
        assert latest is not None
        granted = _event_reason(R.CONSENT_GRANTED, latest, names, consent_article=a.consent_article)
        return done(True, Basis.consent, [granted, *a.relationship], latest)

    if a.opt_out_available:
        closed = _opt_out_closed(a, latest)
        if closed:
            return done(False, None, [*consent_reasons, *closed], latest)
        return done(True, Basis.opt_out, [reason(R.OPT_OUT_ALLOWED, filed_on=a.opt_out_filed_on)])
    return done(False, None, consent_reasons, latest)


def _without_consent(
    a: Assessment, latest: ConsentEvent | None, names: dict[str, Any]
) -> tuple[bool, Basis | None, Sequence[Reason], ConsentEvent | None]:
    """A use that needs no consent: allowed unless the person objected (法35条)."""
    if latest is not None and latest.action is ConsentAction.object:
        return False, None, [_event_reason(R.OBJECTED, latest, names)], latest
    if a.relationship:
        return True, Basis.not_third_party, a.relationship, None
    return True, Basis.purpose_of_use, [reason(R.WITHIN_PURPOSE_OF_USE, **names)], None


def _legal_exception(a: Assessment, history: SubjectHistory) -> Reason | None:
    """The first legal exception (法18条3項 / 法27条1項) recorded for this person that applies here."""
    for exc in history.exceptions:
        if exc.applies(a.purpose_id, a.recipient_id, a.at):
            r = reason(R.LEGAL_EXCEPTION, item=exc.ground.item, ground=exc.ground.value)
            return r.model_copy(update={"article": f"{a.exception_article_prefix}{exc.ground.item}号"})
    return None


def _opt_out_closed(a: Assessment, latest: ConsentEvent | None) -> list[Reason]:
    """Why the opt-out route does not carry this provision without consent: the policy's bans,
    else the person's objection; empty when it does."""
    if a.opt_out_bans:
        return list(a.opt_out_bans)
    if latest is not None and latest.action in _OBJECTING:
        return [reason(R.OPT_OUT_OBJECTED)]
    return []


_REFUSAL_TEXT = {
    ConsentAction.deny: ("同意を拒否しました", "refused consent to"),
    ConsentAction.withdraw: ("同意を撤回しました", "withdrew consent to"),
    ConsentAction.object: ("利用停止・提供停止を求めました", "objected to the use or provision for"),
}


def blanket_after_refusal(
    a: Assessment, events: Iterable[ConsentEvent], latest: ConsentEvent | None
) -> tuple[ConsentEvent | None, list[Reason]]:
    """The event that speaks for the purpose when the newest is a bundled "agree to the terms".

    A person who refused, withdrew or objected to this purpose specifically and later accepted a
    new terms version as a whole did not, by that, say yes to this purpose again (consent is given
    per purpose, 通則編 2-16; the seed's CNIL precedent). Unless the policy setting says otherwise,
    the specific refusal stands until a purpose-specific grant; either way a reason says so.
    """
    if (
        latest is None
        or latest.purpose_id != ALL_PURPOSES_IN_TERMS
        or latest.action is not ConsentAction.grant
    ):
        return latest, []
    specific = [e for e in events if e.collected_at <= a.at and e.purpose_id == a.purpose_id]
    refusal = max(specific, key=ConsentEvent.order_key, default=None)
    if refusal is None or refusal.action not in _OBJECTING:
        return latest, []
    ja, en = _REFUSAL_TEXT[refusal.action]
    values: dict[str, Any] = {
        "purpose": _purpose_name(a),
        "consent_article": a.consent_article,
        "refusal_ja": ja,
        "refusal_en": en,
        "refused_at": to_jst(refusal.collected_at),
        "refusal_event": refusal.event_id,
        "accepted_at": to_jst(latest.collected_at),
        "terms_version": latest.terms_version or "",
    }
    if a.blanket_revives:
        return latest, [reason(R.BLANKET_ACCEPTANCE_REVIVES, **values)]
    return refusal, [reason(R.BLANKET_ACCEPTANCE_DOES_NOT_REVIVE, **values)]


def _country(codes: str) -> display.Named:
    """US → アメリカ合衆国 in the message, "US" in the parameters (several codes: comma-separated)."""
    parts = [c for c in codes.split(",") if c]
    return display.Named(
        codes,
        "、".join(display.country_name(c, "ja") for c in parts),
        ", ".join(display.country_name(c, "en") for c in parts),
    )


def _purpose_name(a: Assessment) -> display.Named:
    return display.Named(a.purpose_id, a.purpose.title if a.purpose else a.purpose_id)


def _event_reason(kind: R.ReasonType, event: ConsentEvent, names: dict[str, Any], **more: Any) -> Reason:
    return reason(kind, **names, **more, event_id=event.event_id, collected_at=to_jst(event.collected_at))


def _consent_reasons(a: Assessment, history: SubjectHistory, latest: ConsentEvent | None) -> list[Reason]:
    """Why the consent path does not allow; empty when it does."""
    names: dict[str, Any] = {"purpose": _purpose_name(a), "consent_article": a.consent_article}
    if latest is None:
        return [_no_consent(a, history, names)]
    if latest.action is ConsentAction.deny:
        return [_event_reason(R.CONSENT_DENIED, latest, names)]
    if latest.action is ConsentAction.withdraw:
        return [_event_reason(R.CONSENT_WITHDRAWN, latest, names)]
    if latest.action is ConsentAction.object:
        return [_event_reason(R.OBJECTED, latest, {"purpose": _purpose_name(a)})]
    return _grant_problems(a, history.subject, latest, names)


def _no_consent(a: Assessment, history: SubjectHistory, names: dict[str, Any]) -> Reason:
    """No event speaks for the purpose: say so, naming the terms last accepted if there are any."""
    stale = [
        e
        for e in history.events
        if e.collected_at <= a.at
        and e.purpose_id == ALL_PURPOSES_IN_TERMS
        and e.action is ConsentAction.grant
    ]
    if stale:
        last = max(stale, key=ConsentEvent.order_key)
        return reason(R.TERMS_DID_NOT_INCLUDE_PURPOSE, **names, terms_version=last.terms_version)
    return reason(R.NO_CONSENT, **names)


def _grant_problems(
    a: Assessment, subject: Subject, latest: ConsentEvent, names: dict[str, Any]
) -> list[Reason]:
    """What keeps a grant from counting as consent: its terms, the person's identity and age, the
    information a foreign transfer needs."""
    problems = _terms_problems(a, latest, names)
    if a.require_identity and not subject.identity_verified:
        problems.append(reason(R.IDENTITY_NOT_VERIFIED))
    if subject.birth_date is not None and not (latest.guardian_name or "").strip():
        age = age_on(subject.birth_date, to_jst(latest.collected_at).date())
        if age < a.guardian_below_age:
            problems.append(reason(R.GUARDIAN_CONSENT_MISSING, threshold=a.guardian_below_age))
    if a.foreign_consent_needed and not latest.foreign_transfer_info_given:
        problems.append(reason(R.FOREIGN_TRANSFER_INFO_MISSING, country=_country(a.foreign_country)))
    return problems


def _terms_problems(a: Assessment, latest: ConsentEvent, names: dict[str, Any]) -> list[Reason]:
    """A grant under a terms version: the version must be known and include the purpose."""
    if latest.terms_version is None:
        return []
    included = a.purposes_by_terms.get(latest.terms_version)
    if included is None:
        return [reason(R.TERMS_VERSION_UNKNOWN, terms_version=latest.terms_version)]
    if a.purpose_id not in included:
        return [reason(R.TERMS_DID_NOT_INCLUDE_PURPOSE, **names, terms_version=latest.terms_version)]
    return []
