"""Re-consent campaigns: ask the members a terms revision left uncovered, and watch them answer.

A campaign names the purposes it asks about and freezes its targets when created: by default
the members whose accepted terms do not cover one of the purposes at the selection date (the
dashboard's gap, `coverage.lacking_members`). The list's count and SHA-256 digest go to the
ledger, so the officer can later show exactly whom the campaign asked. While a campaign is
active for a site, the consent notice on that site is the campaign's, shown to its targets only
(`targets_notice`); seeing it and dismissing it are recorded per target.

Conversion counts each target at a time as granted (their latest answer to some campaign purpose
is a grant), declined (only refusals), seen and dismissed, seen (no answer yet) or not yet seen.
Answers are consent events for the campaign's purposes recorded after the freeze, whichever way
they arrived. "Not yet answered" never counts as consent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from hogo.domain.clock import as_aware
from hogo.domain.ids import NAME_ID_CHARS
from hogo.domain.ledger import EntryKind
from hogo.errors import Conflict, InputError, NotFound
from hogo.services import ledger, person_keys
from hogo.services.coverage import lacking_members
from hogo.services.policy import require_policy
from hogo.store.rows import stored, view_of
from hogo.store.sites import CampaignRow, CampaignTargetRow, SiteRow
from hogo.store.tables import ConsentEventRow, SubjectRow

#: The states of a campaign's targets; the console names them (web/messages.toml `campaigns.state.*`).
STATES = ("granted", "declined", "dismissed", "seen", "not_seen")


@dataclass(frozen=True)
class CampaignBase:
    """What a campaign is: its id, its title and the purposes it asks about."""

    campaign_id: str
    title: str
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class CampaignSpec(CampaignBase):
    """A campaign to create: targets are selected as of `at`, for one site or (None) every site."""

    at: datetime
    site_id: str | None = None


@dataclass(frozen=True)
class CampaignView(CampaignBase):
    """A created campaign: its frozen targets' count and digest, and the ledger entry naming them."""

    site_id: str | None
    selected_at: datetime
    frozen_at: datetime
    target_count: int
    target_digest: str
    ledger_seq: int | None
    active: bool


@dataclass(frozen=True)
class ConversionPoint:
    at: datetime
    counts: dict[str, int]


def target_digest(pseudonyms: Sequence[str]) -> str:
    """SHA-256 over the targets' sorted pseudonyms (`services.person_keys`), one a line: the same
    list always gives the same digest, and once a target is erased no guessed list confirms it."""
    return hashlib.sha256("".join(f"{s}\n" for s in sorted(pseudonyms)).encode("utf-8")).hexdigest()


def _check_spec(session: Session, spec: CampaignSpec) -> None:
    if not re.fullmatch(rf"[{NAME_ID_CHARS}]{{1,64}}", spec.campaign_id):
        raise InputError(
            "キャンペーンIDは英数字・.・-・_ です。",
            "a campaign id is letters, digits, . - _.",
            field="campaign_id",
        )
    if session.get(CampaignRow, spec.campaign_id) is not None:
        raise Conflict("このキャンペーンIDは使用済みです。", "this campaign id is taken.")
    policy = require_policy(session)
    for i, pid in enumerate(spec.purposes):
        if policy.purpose(pid) is None:
            raise InputError("ポリシーにない利用目的です。", "unknown purpose.", field=f"purposes.{i}")
    if not spec.purposes:
        raise InputError(
            "利用目的を1つ以上指定してください。", "name at least one purpose.", field="purposes"
        )
    if spec.site_id is not None and session.get(SiteRow, spec.site_id) is None:
        raise NotFound("そのサイトは登録されていません。", "no such site.")


def create(session: Session, spec: CampaignSpec, targets: Sequence[str] | None = None) -> CampaignView:
    """Select the targets (default: the terms gap at `spec.at`), freeze them in the caller's
    transaction and record the count and digest in the ledger."""
    _check_spec(session, spec)
    if targets is not None:
        chosen = sorted(set(targets))
        _check_known(session, chosen)
    else:
        policy = require_policy(session)
        chosen = lacking_members(session, policy, spec.purposes, as_aware(spec.at))
    now = datetime.now(UTC)
    person_keys.ensure(session, chosen, data=False)
    digest = target_digest(person_keys.pseudonyms(session, chosen))
    seq = ledger.append(
        session,
        EntryKind.campaign,
        f"campaign:{spec.campaign_id}",
        {
            "campaign_id": spec.campaign_id,
            "purposes": list(spec.purposes),
            "selected_at": as_aware(spec.at).isoformat(),
            "site_id": spec.site_id,
            "target_count": len(chosen),
            "target_digest": digest,
        },
    )
    row = CampaignRow(
        campaign_id=spec.campaign_id,
        title=spec.title,
        site_id=spec.site_id,
        purposes=json.dumps(list(spec.purposes)),
        selected_at=as_aware(spec.at),
        created_at=now,
        frozen_at=now,
        target_count=len(chosen),
        target_digest=digest,
        ledger_seq=seq,
    )
    session.add(row)
    session.flush()
    for i in range(0, len(chosen), 5000):
        session.execute(
            insert(CampaignTargetRow),
            [{"campaign_id": spec.campaign_id, "subject_id": s} for s in chosen[i : i + 5000]],
        )
    return _view(row)


def _check_known(session: Session, subject_ids: list[str]) -> None:
    for i in range(0, len(subject_ids), 500):
        chunk = subject_ids[i : i + 500]
        known = set(
            session.execute(select(SubjectRow.subject_id).where(SubjectRow.subject_id.in_(chunk))).scalars()
        )
        if len(known) != len(chunk):
            row = next(n for n, s in enumerate(chunk, start=i + 1) if s not in known)
            raise InputError("本人が登録されていません。", "unknown subject.", row=row, field="subject_id")


def _view(row: CampaignRow) -> CampaignView:
    assert row.frozen_at is not None
    return view_of(CampaignView, row, purposes=tuple(json.loads(row.purposes)), active=row.ended_at is None)


def _stored(session: Session, campaign_id: str) -> CampaignRow:
    return stored(session, CampaignRow, campaign_id, "そのキャンペーンはありません。", "no such campaign.")


def get(session: Session, campaign_id: str) -> CampaignView:
    return _view(_stored(session, campaign_id))


def list_campaigns(session: Session) -> list[CampaignView]:
    return [_view(r) for r in session.execute(select(CampaignRow).order_by(CampaignRow.created_at)).scalars()]


def end(session: Session, campaign_id: str) -> CampaignView:
    row = _stored(session, campaign_id)
    if row.ended_at is None:
        row.ended_at = datetime.now(UTC)
        ledger.append(
            session,
            EntryKind.campaign,
            f"campaign:{campaign_id}",
            {"campaign_id": campaign_id, "ended": True},
        )
    return _view(row)


# Built once: every consent notice asks (issue 15).
_IS_ACTIVE = (
    CampaignRow.ended_at.is_(None),
    (CampaignRow.site_id == bindparam("site_id")) | CampaignRow.site_id.is_(None),
)
_ACTIVE = select(CampaignRow).where(*_IS_ACTIVE)
#: Whether there is any, run on the connection: the consent notice asks on every call, mostly
#: of sites without a campaign, and loading ORM rows cost far more than the query (issue 15).
_ANY_ACTIVE = select(CampaignRow.campaign_id).where(*_IS_ACTIVE).limit(1)


def active_for(
    session: Session, site_id: str, subject_id: str
) -> tuple[list[CampaignView], list[CampaignView]]:
    """The site's active campaigns, and those among them that target this person."""
    if session.connection().execute(_ANY_ACTIVE, {"site_id": site_id}).first() is None:
        return [], []
    rows = session.execute(_ACTIVE, {"site_id": site_id}).scalars().all()
    if not rows:
        return [], []
    targeted = set(
        session.execute(
            select(CampaignTargetRow.campaign_id).where(
                CampaignTargetRow.subject_id == subject_id,
                CampaignTargetRow.campaign_id.in_([r.campaign_id for r in rows]),
            )
        ).scalars()
    )
    views = [_view(r) for r in rows]
    return views, [v for v in views if v.campaign_id in targeted]


def mark_seen(session: Session, campaign_id: str, subject_id: str, at: datetime) -> None:
    session.execute(
        update(CampaignTargetRow)
        .where(
            CampaignTargetRow.campaign_id == campaign_id,
            CampaignTargetRow.subject_id == subject_id,
            CampaignTargetRow.first_seen_at.is_(None),
        )
        .values(first_seen_at=at)
    )


def mark_dismissed(session: Session, campaign_id: str, subject_id: str, at: datetime) -> None:
    session.execute(
        update(CampaignTargetRow)
        .where(CampaignTargetRow.campaign_id == campaign_id, CampaignTargetRow.subject_id == subject_id)
        .values(dismissed_at=at)
    )


def _state(
    answers: list[tuple[datetime, str, str]], seen: datetime | None, dismissed: datetime | None, t: datetime
) -> str:
    latest: dict[str, str] = {}
    for at, purpose, action in answers:  # in time order
        if at <= t:
            latest[purpose] = action
    if "grant" in latest.values():
        return "granted"
    if latest:
        return "declined"
    if dismissed is not None and dismissed <= t:
        return "dismissed"
    return "seen" if seen is not None and seen <= t else "not_seen"


def _answers(session: Session, view: CampaignView) -> dict[str, list[tuple[datetime, str, str]]]:
    """Each target's answers to the campaign's purposes since the freeze, in time order."""
    answers: dict[str, list[tuple[datetime, str, str]]] = {}
    rows = session.execute(
        select(
            ConsentEventRow.subject_id,
            ConsentEventRow.collected_at,
            ConsentEventRow.purpose_id,
            ConsentEventRow.action,
        )
        .join(CampaignTargetRow, CampaignTargetRow.subject_id == ConsentEventRow.subject_id)
        .where(
            CampaignTargetRow.campaign_id == view.campaign_id,
            ConsentEventRow.purpose_id.in_(view.purposes),
            ConsentEventRow.collected_at >= view.frozen_at,
        )
        .order_by(ConsentEventRow.collected_at, ConsentEventRow.event_id)
    )
    for subject, at, purpose, action in rows:
        answers.setdefault(subject, []).append((at, purpose, action))
    return answers


def _targets(session: Session, campaign_id: str) -> dict[str, tuple[datetime | None, datetime | None]]:
    rows = session.execute(
        select(
            CampaignTargetRow.subject_id, CampaignTargetRow.first_seen_at, CampaignTargetRow.dismissed_at
        ).where(CampaignTargetRow.campaign_id == campaign_id)
    )
    return {s: (seen, dismissed) for s, seen, dismissed in rows}


def conversion(
    session: Session, campaign_id: str, now: datetime | None = None, points: int = 12
) -> list[ConversionPoint]:
    """The targets by state at evenly spaced times from the freeze to now."""
    view = get(session, campaign_id)
    now = now or datetime.now(UTC)
    targets = _targets(session, campaign_id)
    answers = _answers(session, view)
    span = max(now - view.frozen_at, timedelta(0))
    times = [view.frozen_at + span * (i / (points - 1)) for i in range(points)] if points > 1 else [now]
    result = []
    for t in times:
        counts = dict.fromkeys(STATES, 0)
        for subject, (seen, dismissed) in targets.items():
            counts[_state(answers.get(subject, []), seen, dismissed, t)] += 1
        result.append(ConversionPoint(t, counts))
    return result


def iter_targets(
    session: Session, campaign_id: str, batch: int = 10_000
) -> Iterator[list[tuple[str, str, str, str]]]:
    """The frozen targets with contact channels and state now, in batches (for the mail CSV)."""
    view = get(session, campaign_id)
    answers = _answers(session, view)
    now = datetime.now(UTC)
    states = {
        s: _state(answers.get(s, []), seen, dis, now)
        for s, (seen, dis) in _targets(session, campaign_id).items()
    }
    rows = session.execute(
        select(SubjectRow.subject_id, SubjectRow.email, SubjectRow.phone)
        .join(CampaignTargetRow, CampaignTargetRow.subject_id == SubjectRow.subject_id)
        .where(CampaignTargetRow.campaign_id == campaign_id)
        .order_by(SubjectRow.subject_id)
        .execution_options(yield_per=batch)
    )
    for part in rows.partitions(batch):
        yield [(s, e or "", p or "", states[s]) for s, e, p in part]
