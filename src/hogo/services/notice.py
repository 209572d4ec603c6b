"""The consent notice's two calls: what to ask this member now, and recording their choices.

1. `show` (`plan`, then `keep`): the member site's token is verified and spent, the page's
   origin checked against the site's; the purposes asked are those that need consent and that
   the existing decision path (`services.consent.history` + `domain.decision.decide`) does not
   allow, about which the person has said nothing purpose-specific yet (a refusal is respected,
   not asked again). Under GPC, purposes that provide data for advertising or sale are not
   asked. The answer carries the notice rendered from the policy revision, in Japanese and
   English, and a *ticket*: a hogo-signed, single-use JWT that binds the choices to this person,
   site, origin and the digest of each section shown.
2. `submit` (`prepare`, then `record_prepared` in a batch): the ticket is verified and spent;
   each choice (grant or deny, for a purpose that was shown) becomes a consent event with method
   `web_form` and the notice evidence (version, SHA-256 of the section in the language the
   person chose in, site, origin, UI language, user-agent family, GPC).

"Not yet answered" never becomes an event: nothing is recorded for purposes left unchosen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from hogo.domain.clock import as_aware, to_jst
from hogo.domain.consent import ConsentAction, ConsentEvent, ConsentMethod, SubjectHistory
from hogo.domain.decision import Assessment, assess_purpose, decide_assessed
from hogo.domain.notice import LANGUAGES, Language, Notice, NoticeEvidence, render_notice
from hogo.domain.policy import Policy
from hogo.errors import HogoError, InputError, NotFound, cut
from hogo.services import campaigns, rate_limits, sites, tickets
from hogo.services.capture import GPC_KINDS
from hogo.services.consent import RecordResult, check_against_policy, record_event_groups
from hogo.services.database import read_scope, write_scope
from hogo.services.group_commit import GroupCommit
from hogo.services.histories import history
from hogo.services.policy_cache import PolicyCache

log = logging.getLogger(__name__)

NOTICE_AUDIENCE = "hogo:consent-notice"
TICKET_AUDIENCE = "hogo:notice-choices"
TICKET_LIFETIME = timedelta(minutes=15)
CHOICE_ACTIONS = (ConsentAction.grant, ConsentAction.deny)


class Limits(NamedTuple):
    """The notice's budgets a minute (HOGO_EMBED_RATE_PER_SITE, …_PER_PERSON)."""

    per_site: rate_limits.Budget
    per_person: rate_limits.Budget

    @classmethod
    def of(cls, per_site: int, per_person: int) -> Limits:
        return cls(rate_limits.Budget("embed-site", per_site), rate_limits.Budget("embed-person", per_person))


class OriginRefused(HogoError):
    code = "origin_refused"

    def __init__(self) -> None:
        super().__init__(
            "このページのオリジンはサイトに登録されていません。",
            "this page's origin is not registered for the site.",
        )


@dataclass(frozen=True)
class PageContext:
    """What the page and browser tell about the showing (no personal data)."""

    origin: str
    user_agent_family: str
    gpc: bool


@dataclass(frozen=True)
class Asked:
    site_id: str
    #: The same notice in each language; the person may switch before choosing.
    notices: dict[Language, Notice]
    privacy_center_url: str
    ticket: str
    expires_at: datetime


@dataclass(frozen=True)
class Recorded:
    result: RecordResult
    events: tuple[ConsentEvent, ...]


def purposes_to_ask(
    policy: Policy, person: SubjectHistory, at: datetime, gpc: bool, version: tuple[int, str] | None = None
) -> tuple[str, ...]:
    """Purposes needing consent that the decision does not allow and the person has not answered.
    With the policy's `version` (revision number and digest) its assessments are kept per day
    (`_assessed`)."""
    answered = {e.purpose_id for e in person.events}
    asked = []
    for purpose in policy.purposes:
        if purpose.id in answered or (gpc and purpose.kind in GPC_KINDS):
            continue
        a = _assessed(policy, version, purpose.id, at)
        if a.terminal or a.unnotified or not a.needs_consent:
            continue
        if not decide_assessed(a, person).allowed:
            asked.append(purpose.id)
    return tuple(asked)


#: What the policy alone says about a purpose, by policy revision and digest, purpose and JST day.
_assessments: dict[tuple[int, str, str, date], Assessment] = {}
_assessments_lock = threading.Lock()
_ASSESSMENTS_KEPT = 1024


def _assessed(policy: Policy, version: tuple[int, str] | None, purpose_id: str, at: datetime) -> Assessment:
    """`assess_purpose`, kept per policy revision, purpose and day. Why: it depends on the policy
    and on the day of `at` alone (terms in force, opt-out filings), and working it out again for
    every purpose on every notice was a good part of the notice's decision; the time itself is
    put back, so `decide_assessed` judges the person's history at `at` as before."""
    if version is None:
        return assess_purpose(policy, purpose_id, at)
    moment = as_aware(at)
    key = (*version, purpose_id, to_jst(moment).date())
    found = _assessments.get(key)
    if found is None:
        found = assess_purpose(policy, purpose_id, moment)
        with _assessments_lock:
            if len(_assessments) >= _ASSESSMENTS_KEPT:
                _assessments.clear()
            _assessments[key] = found
    return replace(found, at=moment)


def _check_origin(session: Session, site_id: str, origin: str) -> tuple[str, str]:
    """The page's origin normalized, if registered for the active site, and the site's privacy
    center address (read with it)."""
    try:
        normalized = sites.normalize_origin(origin)
    except InputError:
        normalized = ""
    url = sites.allowed_site_url(session, site_id, normalized) if normalized else None
    if url is None:
        log.warning("notice origin refused (site %s)", cut(site_id))
        raise OriginRefused()
    return normalized, url


@dataclass(frozen=True)
class Planned:
    """A notice worked out read-only (`plan`), with what showing it changes (`keep`)."""

    member: sites.MemberToken
    asked: Asked
    campaign_id: str | None
    at: datetime


def plan(
    session: Session,
    token: str,
    page: PageContext,
    *,
    secret_key: str,
    now: datetime | None = None,
    policies: PolicyCache | None = None,
) -> Planned:
    """The notice for what this person should be asked now, read-only: the member token is
    checked (not yet spent), the purposes decided, the notice rendered and the ticket issued."""
    now = now or datetime.now(UTC)
    member = sites.check_member_token(
        session, token, NOTICE_AUDIENCE, secret_key=secret_key, now=now, check_subject=False
    )
    try:
        person = history(session, member.subject_id)  # the token's person must be registered
    except NotFound:
        raise sites.unknown_subject(member) from None
    origin, privacy_center_url = _check_origin(session, member.site_id, page.origin)
    revision, digest, policy = (policies or PolicyCache()).in_force(session)
    purposes = purposes_to_ask(policy, person, now, page.gpc, (revision, digest))
    purposes, campaign_id = _campaign_scope(session, member.site_id, member.subject_id, purposes)
    notices = {lang: _rendered(policy, revision, digest, purposes, lang) for lang in LANGUAGES}
    claims = {
        "site": member.site_id,
        "origin": origin,
        "v": notices["ja"].version,
        "ua": page.user_agent_family,
        "gpc": page.gpc,
        "s": {
            ja.purpose_id: [
                ja.sha256,
                en.sha256,
                ja.foreign_info_complete,
                terms_version_in_force(policy, ja.purpose_id, now),
            ]
            for ja, en in zip(notices["ja"].sections, notices["en"].sections, strict=True)
        },
        "cid": campaign_id,
    }
    ticket, expires = tickets.issue(
        TICKET_AUDIENCE, member.subject_id, claims, lifetime=TICKET_LIFETIME, secret_key=secret_key, now=now
    )
    asked = Asked(member.site_id, notices, privacy_center_url, ticket, expires)
    return Planned(member, asked, campaign_id, now)


#: Notices rendered, by policy revision and digest, purposes and language (`_rendered`).
_notices: dict[tuple[int, str, tuple[str, ...], Language], Notice] = {}
_notices_lock = threading.Lock()
_NOTICES_KEPT = 256


def _rendered(
    policy: Policy, revision: int, digest: str, purposes: tuple[str, ...], lang: Language
) -> Notice:
    """`render_notice`, kept per policy revision (number and digest of its document), purposes and
    language. Why: the notice and its digests are a pure function of these, and rendering them
    twice per call was a good part of the call's time; a new revision renders afresh. The
    notice is immutable (`Frozen`), so every caller may share it."""
    key = (revision, digest, purposes, lang)
    found = _notices.get(key)
    if found is None:
        found = render_notice(policy, revision, purposes, lang)
        with _notices_lock:
            if len(_notices) >= _NOTICES_KEPT:
                _notices.clear()
            _notices[key] = found
    return found


def keep(session: Session, planned: Planned, *, secret_key: str, limits: Limits | None = None) -> Asked:
    """What showing the notice changes, in the caller's write transaction: the member token is
    spent (a replay, even a concurrent one, is refused), a campaign's target marked as seen, and
    with `limits` the call is counted last against the site's and the person's budgets
    (`services.rate_limits`, across every server process); over either it is refused and nothing
    of it is kept. The choices and the dismissal need the single-use ticket only a kept notice
    hands out, so they are bounded by it."""
    return keep_many(session, [planned], secret_key=secret_key, limits=limits)[0]


def keep_many(
    session: Session, planned: Sequence[Planned], *, secret_key: str, limits: Limits | None = None
) -> list[Asked]:
    """`keep` for several notices in one transaction, in order, their member tokens spent at once
    (one clean-up and insert for all: `sites.spend_token_ids`, all or none, a token
    twice in the batch refused as a replay). Any refusal fails them all: the group commit then
    keeps each on its own (`keeps_queue`)."""
    members = [p.member for p in planned]
    spent = [sites.TokenId(m.site_id, NOTICE_AUDIENCE, m.jti, m.expires_at) for m in members]
    sites.spend_token_ids(session, spent)
    for p in planned:
        member = p.member
        if p.campaign_id is not None:
            campaigns.mark_seen(session, p.campaign_id, member.subject_id, p.at)
        if limits is not None:
            counted = (
                (limits.per_site, member.site_id),
                (limits.per_person, f"{member.site_id}\x1f{member.subject_id}"),
            )
            rate_limits.spend(session, counted, secret_key=secret_key, now=p.at)
    return [p.asked for p in planned]


def show(
    db: Engine,
    token: str,
    page: PageContext,
    *,
    secret_key: str,
    limits: Limits | None = None,
    policies: PolicyCache | None = None,
) -> Asked:
    """Verify and spend the member token; the notice for what this person should be asked now.

    Planned in a read transaction, then kept in a short write transaction of its own. Why: every
    writer serialises on one lock, and the notice's reading, deciding and rendering (most of its
    time) need none of it."""
    with read_scope(db) as session:
        planned = plan(session, token, page, secret_key=secret_key, policies=policies)
    with write_scope(db) as session:
        return keep(session, planned, secret_key=secret_key, limits=limits)


def show_queued(
    db: Engine,
    queue: GroupCommit[Planned, Asked],
    token: str,
    page: PageContext,
    *,
    secret_key: str,
    policies: PolicyCache | None = None,
) -> Future[Asked]:
    """`show` for a server: planned in a read transaction of its own (closed before waiting), then
    kept with other requests' notices in one write transaction (`keeps_queue`); the future is
    answered after that commit, or with this notice's own error (a replayed token, a budget
    spent). Why: a write transaction per notice made every notice wait for the lock behind the
    others and the choices' batches (issue 15)."""
    with read_scope(db) as session:
        planned = plan(session, token, page, secret_key=secret_key, policies=policies)
    return queue.submit(planned)


def keeps_queue(db: Engine, *, secret_key: str, limits: Limits | None) -> GroupCommit[Planned, Asked]:
    """The group commit notices are kept through (one per serving process): each `keep`, in
    order, in one transaction (`keep_many`); a batch that fails is kept again one per
    transaction, so only the refused notice gets its error and nothing of it is kept."""

    def keep_all(session: Session, planned: Sequence[Planned]) -> list[Asked]:
        return keep_many(session, planned, secret_key=secret_key, limits=limits)

    return GroupCommit(db, keep_all)


def terms_version_in_force(policy: Policy, purpose_id: str, at: datetime) -> str | None:
    """The terms version in force that lists the purpose: what the person is consenting under."""
    day = to_jst(at).date()
    effective = [t for t in policy.terms_including(purpose_id) if t.effective_from <= day]
    return effective[-1].version if effective else None


def _campaign_scope(
    session: Session, site_id: str, subject_id: str, purposes: tuple[str, ...]
) -> tuple[tuple[str, ...], str | None]:
    """While the site runs campaigns, the notice is theirs and only their targets see it (the
    campaign's purposes the person still has to answer); otherwise every purpose to ask."""
    active, targeting = campaigns.active_for(session, site_id, subject_id)
    if not active:
        return purposes, None
    for campaign in targeting:
        asked = tuple(p for p in purposes if p in campaign.purposes)
        if asked:
            return asked, campaign.campaign_id
    return (), None


def _ticket_claims(session: Session, ticket: str, secret_key: str) -> dict[str, Any]:
    return tickets.redeem(session, ticket, TICKET_AUDIENCE, secret_key=secret_key)


def _events(
    claims: dict[str, Any], choices: list[tuple[str, ConsentAction]], language: Language, at: datetime
) -> list[ConsentEvent]:
    shown: dict[str, list[Any]] = claims["s"]
    events = []
    for i, (purpose_id, action) in enumerate(choices):
        if purpose_id not in shown:
            raise InputError(
                "表示していない利用目的です。", "this purpose was not shown.", field=f"choices.{i}.purpose_id"
            )
        if action not in CHOICE_ACTIONS:
            raise InputError(
                "選べるのは同意(grant)か拒否(deny)です。",
                "a choice is grant or deny.",
                field=f"choices.{i}.action",
            )
        sha_ja, sha_en, foreign_complete, terms_version = shown[purpose_id]
        evidence = NoticeEvidence(
            notice_version=claims["v"],
            sha256=sha_ja if language == "ja" else sha_en,
            site_id=claims["site"],
            origin=claims["origin"],
            language=language,
            user_agent_family=claims["ua"],
            gpc=claims["gpc"],
            campaign_id=claims.get("cid"),
        )
        events.append(
            ConsentEvent(
                event_id=f"ntc-{claims['jti']}-{i}",
                subject_id=claims["sub"],
                purpose_id=purpose_id,
                action=action,
                collected_at=at,
                terms_version=terms_version,
                method=ConsentMethod.web_form,
                evidence=evidence.text(),
                foreign_transfer_info_given=bool(foreign_complete) and action is ConsentAction.grant,
            )
        )
    return events


@dataclass(frozen=True)
class PreparedChoices:
    """Choices checked and turned into events, with the ticket still to spend: what the one
    transaction that records them needs (`record_prepared`)."""

    ticket: tickets.Ticket
    events: tuple[ConsentEvent, ...]


def prepare(
    session: Session,
    ticket: str,
    origin: str,
    choices: list[tuple[str, ConsentAction]],
    language: Language,
    *,
    secret_key: str,
    now: datetime | None = None,
    policies: PolicyCache | None = None,
) -> PreparedChoices:
    """Everything recording the choices checks, read-only: the ticket (not yet spent), the origin, the
    choices against what was shown and the events against the policy (the API's long-lived
    `policies` parse it once per revision)."""
    verified = tickets.verify(session, ticket, TICKET_AUDIENCE, secret_key=secret_key)
    claims = verified.claims
    if _check_origin(session, claims["site"], origin)[0] != claims["origin"]:
        raise OriginRefused()
    if not choices:
        raise InputError("記録する選択がありません。", "nothing to record.", field="choices")
    if len({p for p, _ in choices}) != len(choices):
        raise InputError(
            "同じ利用目的が複数回選ばれています。", "a purpose is chosen twice.", field="choices"
        )
    events = _events(claims, choices, language, now or datetime.now(UTC))
    policy = (policies or PolicyCache()).current(session)
    for event in events:
        check_against_policy(policy, event)
    return PreparedChoices(verified, tuple(events))


def record_prepared(
    session: Session, prepared: Sequence[PreparedChoices], *, policies: PolicyCache | None = None
) -> list[Recorded]:
    """Spend each ticket and record all their events, in order, in the caller's transaction: the
    one way choices are recorded, a batch through `services.group_commit` or a single one."""
    tickets.spend(session, [p.ticket for p in prepared])
    results = record_event_groups(session, [p.events for p in prepared], policies=policies)
    return [Recorded(r, p.events) for r, p in zip(results, prepared, strict=True)]


def submit(
    db: Engine,
    queue: GroupCommit[PreparedChoices, Recorded],
    ticket: str,
    origin: str,
    choices: list[tuple[str, ConsentAction]],
    language: Language,
    *,
    secret_key: str,
    policies: PolicyCache | None = None,
) -> Future[Recorded]:
    """Record the person's choices made on the notice the ticket was issued with: checked in a
    read transaction of its own (closed before waiting), then recorded with whatever else is
    queued in one write transaction (`services.group_commit`); the future is answered after that
    commit, or with these choices' own error."""
    with read_scope(db) as session:
        prepared = prepare(
            session, ticket, origin, choices, language, secret_key=secret_key, policies=policies
        )
    return queue.submit(prepared)


def choices_queue(db: Engine, policies: PolicyCache | None = None) -> GroupCommit[PreparedChoices, Recorded]:
    """The group commit the notice's choices go through (one per serving process), with the
    server's `policies`."""

    def record(session: Session, prepared: Sequence[PreparedChoices]) -> list[Recorded]:
        return record_prepared(session, prepared, policies=policies)

    return GroupCommit(db, record)


def dismiss(
    session: Session, ticket: str, origin: str, *, secret_key: str, now: datetime | None = None
) -> None:
    """The person closed the notice without choosing ("later"): a campaign counts them as seen
    and dismissed. Nothing is recorded as consent; the ticket is spent."""
    claims = _ticket_claims(session, ticket, secret_key)
    if _check_origin(session, claims["site"], origin)[0] != claims["origin"]:
        raise OriginRefused()
    if claims.get("cid"):
        campaigns.mark_dismissed(session, claims["cid"], claims["sub"], now or datetime.now(UTC))
