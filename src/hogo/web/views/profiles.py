"""Profiles (プロファイリング): the list of runs and one run's manifest in words.

A run's page shows what the ledger sealed: the profiling purpose and what it declares (通則編
3-1-1: what is analysed and what the results are used for), the counts, the legal basis of the
persons profiled, the persons excluded by the decision's first reason, the feature definitions and
their SHA-256, the output file's digest now (erasure rewrites it), and the ledger entry. No person
and no score is shown, so every reader may see these pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from hogo.domain.policy import Policy
from hogo.http.deps import SessionDep
from hogo.services import profiles as service
from hogo.services.policy import current_policy
from hogo.web.i18n import translator
from hogo.web.manifests import ExclusionRow, Figure, bases, error_text, exclusions, run_summary, section
from hogo.web.render import language, render
from hogo.web.session import Viewer

router = APIRouter()

_COUNT_KEYS = ("subjects", "profiled", "excluded", "purchases", "purchases_of_profiled")


@dataclass(frozen=True)
class ProfileSummary:
    profile_id: str
    purpose: str
    purpose_title: str
    status: str
    status_label: str
    run_at: datetime
    started_at: datetime
    counts: dict[str, int]
    rows_erased: int


@dataclass(frozen=True)
class ProfilesPage:
    profiles: tuple[ProfileSummary, ...]


@dataclass(frozen=True)
class FeatureRow:
    name: str
    definition: str


@dataclass(frozen=True)
class ProfilePage:
    profile: ProfileSummary
    analysis: str | None
    use_of_results: str | None
    error: str | None
    counts: tuple[Figure, ...]
    bases: tuple[Figure, ...]
    exclusions: tuple[ExclusionRow, ...]
    features: tuple[FeatureRow, ...]
    features_sha256: str | None
    output_file: str
    output_sha256: str | None
    policy_revision: int | None
    ledger_seq: int | None


def _summary(info: service.ProfileInfo, policy: Policy | None, lang: str) -> ProfileSummary:
    return run_summary(ProfileSummary, info, policy, lang)


def _feature(f: Any) -> FeatureRow:
    """A feature as its name and its definition's keys (kind, window, category, hours, …)."""
    if not isinstance(f, dict):
        return FeatureRow(str(f), "")
    rest = ", ".join(f"{k}={v}" for k, v in f.items() if k != "name")
    return FeatureRow(str(f.get("name", "")), rest)


@router.get("/profiles", include_in_schema=False)
def profiles_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    lang = language(request)
    policy = current_policy(session)
    rows = tuple(_summary(i, policy, lang) for i in service.list_profiles(session))
    return render(request, "profiles.html", ProfilesPage(rows), user)


@router.get("/profiles/{profile_id}", include_in_schema=False)
def profile_page(
    request: Request, session: SessionDep, user: Viewer, profile_id: str = Path(max_length=64)
) -> Response:
    lang = language(request)
    t = translator(lang)
    info = service.get_profile(session, profile_id)
    policy = current_policy(session)
    purpose = policy.purpose(info.purpose) if policy else None
    declared = purpose.profiling if purpose else None
    m = info.manifest
    revision = section(m, "policy").get("revision")
    counts = [Figure(t(f"profile.count.{k}"), info.counts[k]) for k in _COUNT_KEYS if k in info.counts]
    features = m.get("features")
    page = ProfilePage(
        profile=_summary(info, policy, lang),
        analysis=declared.analysis if declared else None,
        use_of_results=declared.use_of_results if declared else None,
        error=error_text(info.error, lang),
        counts=tuple(counts),
        bases=bases(m, lang),
        exclusions=exclusions(m, lang),
        features=tuple(_feature(f) for f in features) if isinstance(features, list) else (),
        features_sha256=m.get("features_sha256") if isinstance(m.get("features_sha256"), str) else None,
        output_file=info.output_file,
        output_sha256=info.output_sha256,
        policy_revision=revision if isinstance(revision, int) else None,
        ledger_seq=info.ledger_seq,
    )
    return render(request, "profile.html", page, user)
