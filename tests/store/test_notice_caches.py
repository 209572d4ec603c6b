"""What the consent notice's path keeps between requests (issue 15) never hides a change: a new
policy revision is rendered afresh, a rotated or retired site key and a changed origin list are
seen on the next call, and a master key file replaced in place or configured elsewhere is read
again, on both backends."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hogo.domain.consent import ConsentAction
from hogo.domain.decision import assess_purpose
from hogo.domain.notice import render_notice
from hogo.errors import InputError
from hogo.services import notice, person_keys, sites
from hogo.services.policy import apply_policy
from hogo.services.policy_cache import PolicyCache
from hogo.services.subjects import upsert_subjects
from hogo.store.database import read_scope, write_scope
from tests.embed_helpers import member_token
from tests.factories import POLICY, person, policy

ORIGIN = "https://shop.example.jp"
SECRET = "notice-caches-secret-0123456789abcdefghijklmn"
PAGE = notice.PageContext(origin=ORIGIN, user_agent_family="Chrome", gpc=False)


@pytest.fixture()
def db(store: Engine) -> Engine:
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person(f"P{i}") for i in range(6)])
    return store


def _site(db: Engine) -> sites.NewKey:
    with write_scope(db) as s:
        _, key = sites.add_site(s, "shop", "shop", [ORIGIN], secret_key=SECRET)
    return key


def _profiling(asked: notice.Asked) -> tuple[str, str]:
    section = next(x for x in asked.notices["ja"].sections if x.purpose_id == "profiling")
    return section.title, section.sha256


def test_a_new_policy_revision_is_rendered_afresh(db: Engine) -> None:
    key, policies = _site(db), PolicyCache()
    first = notice.show(db, member_token(key, "shop", "P0"), PAGE, secret_key=SECRET, policies=policies)
    again = notice.show(db, member_token(key, "shop", "P1"), PAGE, secret_key=SECRET, policies=policies)
    assert again.notices == first.notices  # the same revision: the same notice
    revised = [
        {**p, "title": p["title"] + "(改定)"} if p["id"] == "profiling" else p for p in POLICY["purposes"]
    ]
    new_policy = policy(purposes=revised)
    with write_scope(db) as s:
        assert apply_policy(s, new_policy).revision == 2
    after = notice.show(db, member_token(key, "shop", "P2"), PAGE, secret_key=SECRET, policies=policies)
    assert after.notices["ja"].version == "policy-r2" != first.notices["ja"].version
    title, digest = _profiling(after)
    assert title.endswith("(改定)") and digest != _profiling(first)[1]
    purposes = tuple(x.purpose_id for x in after.notices["ja"].sections)
    for lang in ("ja", "en"):
        assert after.notices[lang] == render_notice(new_policy, 2, purposes, lang)


def test_the_choices_writer_checks_the_events_against_a_new_revision(db: Engine) -> None:
    """The server's choices queue shares the API's policy cache: choices prepared under one
    revision are checked again, when recorded, against the revision in force then."""
    key, policies = _site(db), PolicyCache()
    asked = notice.show(db, member_token(key, "shop", "P0"), PAGE, secret_key=SECRET, policies=policies)
    with read_scope(db) as s:
        choice = [("profiling", ConsentAction.grant)]
        prepared = notice.prepare(s, asked.ticket, ORIGIN, choice, "ja", secret_key=SECRET, policies=policies)
    assert prepared.events[0].terms_version == "2021-07"
    with write_scope(db) as s:
        apply_policy(s, policy(terms=[t for t in POLICY["terms"] if t["version"] != "2021-07"]))
    queue = notice.choices_queue(db, policies)
    try:
        with pytest.raises(InputError) as refused:
            queue.submit(prepared).result(timeout=30)
        assert refused.value.field == "terms_version"
    finally:
        queue.close()


def test_a_rotated_key_and_changed_origins_are_seen_on_the_next_call(db: Engine) -> None:
    old = _site(db)
    notice.show(db, member_token(old, "shop", "P0"), PAGE, secret_key=SECRET)
    with write_scope(db) as s:
        new = sites.rotate_key(s, "shop", secret_key=SECRET, grace=timedelta(0))
    with pytest.raises(sites.TokenRefused):
        notice.show(db, member_token(old, "shop", "P1"), PAGE, secret_key=SECRET)
    notice.show(db, member_token(new, "shop", "P1"), PAGE, secret_key=SECRET)
    with write_scope(db) as s:
        sites.set_origins(s, "shop", ["https://other.example.jp"])
    with pytest.raises(notice.OriginRefused):
        notice.show(db, member_token(new, "shop", "P2"), PAGE, secret_key=SECRET)


def test_a_master_key_replaced_or_configured_elsewhere_is_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys" / "master.key"
    first = person_keys.write_master_key(path)
    monkeypatch.setenv("HOGO_MASTER_KEY_FILE", str(path))
    assert person_keys.master_key() == first
    rotated = person_keys.write_master_key(tmp_path / "keys" / "rotated.key")
    os.replace(rotated.path, path)  # rotated in place, as an operator would
    assert person_keys.master_key().key_id == rotated.key_id != first.key_id
    elsewhere = person_keys.write_master_key(tmp_path / "elsewhere.key")
    monkeypatch.setenv("HOGO_MASTER_KEY_FILE", str(elsewhere.path))
    assert person_keys.master_key() == elsewhere
    elsewhere.path.chmod(0o644)  # still checked on every call, not only when first read
    with pytest.raises(person_keys.MasterKeyError):
        person_keys.master_key()


def test_assessments_kept_per_day_equal_fresh_ones_across_a_terms_change() -> None:
    """`notice._assessed` keeps what the policy alone says per revision, purpose and JST day: kept
    or fresh, every purpose assesses the same, at the instant asked, on both sides of midnight JST
    when terms take effect (2021-07-01) and when a purpose's terms are still to come."""
    p = policy()
    version = (990_001, "assessments-test")
    instants = ["2021-06-30T23:59:59+09:00", "2021-06-30T10:00+09:00", "2021-06-30T15:00:00+00:00",
                "2021-07-01T00:00+09:00", "2039-12-31T23:00+09:00", "2040-01-01T09:00+09:00"]  # fmt: skip
    for text in instants * 2:  # the second round answers from what the first kept
        at = datetime.fromisoformat(text)
        for purpose in p.purposes:
            assert notice._assessed(p, version, purpose.id, at) == assess_purpose(p, purpose.id, at)
    kept = [k for k in notice._assessments if k[:2] == version]
    assert len(kept) == len(p.purposes) * 4  # four JST days among the six instants
