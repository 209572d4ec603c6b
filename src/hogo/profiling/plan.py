"""What a profile job will be, judged once before any data is read: its purpose, categories and time.

通則編 3-1-1: profiling is a use of personal data whose purpose must say that the analysis
happens and what its results are used for; the policy refuses a `profiling` purpose without that
declaration. Here a job is refused unless it runs under such a purpose, reads only data
categories the purpose covers, and infers only categories the purpose covers (a 要配慮 one needs a
purpose that requires consent, which the policy enforces for any profiling purpose reading one),
features and model scores alike; a model that cannot be loaded or does not fit its inputs is
refused here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hogo.domain.clock import as_aware
from hogo.domain.ledger import canonical_sha256
from hogo.domain.policy import AppiClass, Policy, Purpose, PurposeKind
from hogo.errors import Conflict, InputError
from hogo.profiling.scoring import ScoreModel, load_model
from hogo.profiling.spec import ProfileSpec
from hogo.release.plan import free_folder


@dataclass(frozen=True)
class ProfilePlan:
    spec: ProfileSpec
    policy: Policy
    at: datetime
    #: The folder the job's output takes once recorded (`hogo.release.publish`).
    directory: Path
    #: SHA-256 of the canonical feature definitions: the same features give the same hash.
    features_sha256: str
    #: The spec's scores with their models, loaded and checked (`hogo.profiling.scoring`).
    models: tuple[ScoreModel, ...] = ()


def features_digest(spec: ProfileSpec) -> str:
    return canonical_sha256([f.model_dump(mode="json") for f in spec.features])


def plan_profile(spec: ProfileSpec, policy: Policy, now: datetime) -> ProfilePlan:
    """Judge ``spec`` under ``policy``; refuse it before running if it is not lawful as declared."""
    purpose = _profiling_purpose(policy, spec.purpose)
    _covered(policy, purpose, spec.purchases_category, "purchases_category")
    for n, f in enumerate(spec.features):
        if f.infers is not None:
            _covered(policy, purpose, f.infers, f"features.{n}.infers")
    for n, score in enumerate(spec.scores):
        if score.infers is not None:
            _covered(policy, purpose, score.infers, f"scores.{n}.infers")
    directory = spec.output.dir / spec.id
    free_folder(
        directory,
        Conflict("同じIDのプロファイルの出力が既にあります。", "a profile job with this id already exists."),
    )
    at = as_aware(spec.at) if spec.at else now
    models = tuple(load_model(score, f"scores.{n}") for n, score in enumerate(spec.scores))
    return ProfilePlan(spec, policy, at, directory, features_digest(spec), models)


def _profiling_purpose(policy: Policy, purpose_id: str) -> Purpose:
    purpose = policy.purpose(purpose_id)
    if purpose is None:
        raise InputError("利用目的が定義されていません。", "no such purpose of use.", field="purpose")
    if purpose.kind is not PurposeKind.profiling or purpose.profiling is None:
        raise InputError(
            "プロファイリングは、分析とその結果の利用を明示したプロファイリングの利用目的の下でのみ行えます(通則編3-1-1)。",
            "profiling runs only under a profiling purpose that declares the analysis and the use "
            "of its results (APPI guidelines 3-1-1).",
            field="purpose",
        )
    return purpose


def _covered(policy: Policy, purpose: Purpose, category_id: str, field: str) -> None:
    """The job reads (or infers) only what the purpose covers; My Number never."""
    category = policy.category(category_id)
    if category is None or category_id not in purpose.data_categories:
        raise InputError(
            f"データ区分は利用目的「{purpose.id}」に含まれません(法17条1項・18条1項)。",
            f"the data category is not among purpose '{purpose.id}''s categories.",
            field=field,
        )
    if category.appi_class is AppiClass.my_number:
        raise InputError(
            "個人番号はプロファイリングに利用できません(番号法9条)。",
            "My Number data is never profiled.",
            field=field,
        )
