"""Profile pages: the list of runs and one run's counts, bases, reasons, feature definitions and
hash, the output's digest and the ledger link — in Japanese and English, for every reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hogo.auth.roles import Role
from hogo.errors import InputError
from hogo.profiling.spec import parse_profile_spec
from hogo.release.spec import SpecPaths
from hogo.services import profiles as service
from hogo.store.database import read_scope
from hogo.web.views.profiles import ProfilePage, ProfilesPage
from tests.api.env import Env, client, login
from tests.profiling.env import profile_env
from tests.profiling.test_profile_jobs import job


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    folder = Path(tmp_path_factory.mktemp("profile-pages"))
    e = profile_env(folder)
    paths = SpecPaths.local(folder)
    service.run_profile(e.db, parse_profile_spec(job(folder, "web-1"), paths))
    (folder / "bad.csv").write_text("member_id,purchased_at,amount_yen\nS1,2024-05-01 10:00,千円\n", "utf-8")
    bad = {"path": "bad.csv", "columns": {c: c for c in ("member_id", "purchased_at", "amount_yen")}}
    features = [{"name": "n", "kind": "frequency"}]
    with pytest.raises(InputError):
        service.run_profile(
            e.db, parse_profile_spec(job(folder, "web-f", purchases=bad, features=features), paths)
        )
    yield e
    e.db.dispose()


def test_the_list_shows_each_run_with_its_counts(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        r = c.get("/profiles")
        assert r.status_code == 200
        page = r.context["page"]  # type: ignore[attr-defined]
        assert isinstance(page, ProfilesPage)
        rows = {p.profile_id: p for p in page.profiles}
        assert rows["web-1"].counts["profiled"] == 2 and rows["web-1"].purpose_title == "購買履歴の分析"
        assert 'href="/profiles"' in r.text and "プロファイリング" in r.text
        english = c.get("/profiles?lang=en")
        assert "Profiling (purchase-history analysis)" in english.text


def test_a_run_page_shows_what_the_ledger_sealed(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        r = c.get("/profiles/web-1")
        assert r.status_code == 200
        page = r.context["page"]  # type: ignore[attr-defined]
        assert isinstance(page, ProfilePage)
        with read_scope(env.db) as session:
            info = service.get_profile(session, "web-1")
        assert page.features_sha256 == info.manifest["features_sha256"] and page.ledger_seq == info.ledger_seq
        assert {f.label: f.value for f in page.counts}["対象"] == 2
        assert [(b.label, b.value) for b in page.bases] == [("本人の同意", 2)]
        assert sum(x.persons for x in page.exclusions) == 3
        assert [f.name for f in page.features][:2] == ["recency_days", "orders_365"]
        assert page.analysis and "購買履歴" in page.analysis
        assert f'href="/ledger/{info.ledger_seq}"' in r.text and info.output_sha256 in r.text
        assert "S1" not in r.text and "S4" not in r.text  # counts and digests, never a person
        failed = c.get("/profiles/web-f?lang=en")
        assert failed.status_code == 200 and 'id="profile-error"' in failed.text
        assert c.get("/profiles/nope").status_code == 404
