"""A decision about a past time uses the policy revision in force then, not the newest."""

from __future__ import annotations

from functools import partial

from sqlalchemy import Engine, update

from hogo.services import consent
from hogo.services.policy import apply_policy, revision_in_force
from hogo.services.policy_cache import PolicyCache
from hogo.services.subjects import upsert_subjects
from hogo.store.database import write_scope
from hogo.store.tables import PolicyRevisionRow
from tests.factories import POLICY, at, person, policy

NEWSLETTER = {
    "id": "newsletter",
    "title": "メールマガジン",
    "kind": "internal_use",
    "requires_consent": False,
}


def test_past_decisions_use_the_revision_in_force_then(store: Engine) -> None:
    with write_scope(store) as s:
        apply_policy(s, policy())
        terms = {"version": "2024-12", "effective_from": "2024-12-01", "purposes": ["service", "newsletter"]}
        apply_policy(s, policy(purposes=[*POLICY["purposes"], NEWSLETTER], terms=[*POLICY["terms"], terms]))
        upsert_subjects(s, [person("S1")])
        for revision, applied in [(1, "2023-01-01T00:00"), (2, "2025-01-01T00:00")]:
            s.execute(
                update(PolicyRevisionRow)
                .where(PolicyRevisionRow.revision == revision)
                .values(applied_at=at(applied))
            )
    cached = partial(consent.check, policies=PolicyCache())  # the API's way: one cache for all requests
    with write_scope(store) as s:
        for check in (consent.check, cached):
            before = check(s, "S1", "newsletter", at("2024-06-01T00:00"))
            assert not before.allowed and "PURPOSE_UNKNOWN" in {r.code for r in before.reasons}
            assert check(s, "S1", "newsletter", at("2025-06-01T00:00")).allowed
        first = revision_in_force(s, at("2020-01-01T00:00"))  # before any revision: the first one
        assert first is not None and first.revision == 1
        newest = revision_in_force(s, at("2026-01-01T00:00"))
        assert newest is not None and newest.revision == 2
