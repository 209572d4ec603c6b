"""Starting a release from the console (issue 17 item 8): role-gated, CSRF-checked, works as a
plain form post, builds the same spec the API takes; Parquet files are also offered as CSV for
spreadsheets (UTF-8 with BOM, formula-safe)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.services import releases as service
from hogo.store.database import write_scope
from hogo.web.views.release_new import ReleaseFormPage, spec_from_form
from hogo.web.views.releases import spreadsheet_csv
from tests.api.env import Env, client, login
from tests.release.world import ANON_COLUMNS, TOKEN_KEY, release_env

ANON_FORM = {
    "mode": "anonymized", "purpose": "service", "recipient": "mailer", "at": "2024-06-01T00:00",
    "members_path": "anon.csv", "members_columns": "\n".join(ANON_COLUMNS),
    "quasi_identifiers": "age=interval:5,10,20,40\nprefecture=mask\nsex=mask", "keep": "spend", "k": "5",
    "format": "parquet",
}  # fmt: skip


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    mp = pytest.MonkeyPatch()
    mp.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    e = release_env(Path(tmp_path_factory.mktemp("release-form")))
    yield e
    e.db.dispose()
    mp.undo()


def _as(env: Env, role: Role) -> TestClient:
    c = client(env).__enter__()
    login(c, env.usernames[role])
    return c


def _csrf(c: TestClient) -> str:
    token = c.get("/releases").context["frame"].csrf_token  # type: ignore[attr-defined]
    assert isinstance(token, str)
    return token


def test_only_roles_that_handle_personal_data_may_start_a_release(env: Env) -> None:
    for role in (Role.operator, Role.auditor):
        c = _as(env, role)
        assert c.get("/releases/new").status_code == 403
        assert 'href="/releases/new"' not in c.get("/releases").text
        assert c.post("/releases", data={**ANON_FORM, "csrf_token": _csrf(c)}).status_code == 403
    officer = _as(env, Role.privacy_officer)
    assert 'href="/releases/new"' in officer.get("/releases").text
    assert officer.post("/releases", data=ANON_FORM).status_code == 403  # no CSRF token


def test_the_form_builds_the_spec_the_api_takes() -> None:
    spec = spec_from_form(ANON_FORM)
    assert spec["members"]["columns"]["member_id"] == "member_id"
    assert spec["anonymization"] == {
        "quasi_identifiers": {"age": "interval:5,10,20,40", "prefecture": "mask", "sex": "mask"},
        "keep": ["spend"], "k": 5,
    }  # fmt: skip
    personal = spec_from_form({**ANON_FORM, "mode": "personal", "partner_path": "partner.csv",
                               "partner_columns": "email=mail\nphone=tel", "items": "purchase_total=contact"})  # fmt: skip
    assert personal["partner"]["columns"] == {"email": "mail", "phone": "tel"}
    assert personal["output"]["items"] == {"purchase_total": "contact"} and "anonymization" not in personal
    aggregate = spec_from_form(
        {**ANON_FORM, "mode": "aggregate", "dimensions": "prefecture, sex", "measures": "spend"}
    )
    assert aggregate["aggregate"] == {
        "dimensions": ["prefecture", "sex"],
        "measures": ["spend"],
        "min_cell_size": 10,
    }


def test_an_officer_starts_an_anonymized_release_and_downloads_csv(env: Env) -> None:
    officer = _as(env, Role.privacy_officer)
    form = officer.get("/releases/new")
    assert form.status_code == 200 and isinstance(form.context["page"], ReleaseFormPage)  # type: ignore[attr-defined]
    r = officer.post("/releases", data={**ANON_FORM, "csrf_token": _csrf(officer)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    release_id = r.headers["location"].removeprefix("/releases/")
    info = service.wait_for(env.db, release_id)
    assert info.status == "done" and info.mode.value == "anonymized", info.error
    page = officer.get(f"/releases/{release_id}").text
    href = f"/releases/{release_id}/files/anonymized.parquet?format=csv"
    assert f'href="{href}"' in page
    got = officer.get(href)
    assert got.status_code == 200 and got.content.startswith(b"\xef\xbb\xbf")
    assert "anonymized.csv" in got.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert "spend" in rows[0] and len(rows) - 1 == info.manifest["anonymization"]["rows_out"]


def test_bad_input_is_shown_on_the_form_and_nothing_starts(env: Env) -> None:
    officer = _as(env, Role.privacy_officer)
    with write_scope(env.db) as session:
        before = len(service.list_releases(session))
    bad = {**ANON_FORM, "members_columns": "=member_id", "csrf_token": _csrf(officer)}
    r = officer.post("/releases", data=bad)
    assert r.status_code == 422 and 'id="release-form-error"' in r.text
    assert 'data-field="members_columns"' in r.text and "「会員データの列」: 1行目" in r.text
    assert "=member_id" in r.text  # what was typed is kept
    no_mode = {**ANON_FORM, "mode": "", "csrf_token": _csrf(officer)}
    assert 'data-field="mode"' in officer.post("/releases", data=no_mode).text
    # a path the API's rules refuse is named by the form's label, not the spec's key members.path
    outside = {**ANON_FORM, "members_path": "../members.parquet", "csrf_token": _csrf(officer)}
    r = officer.post("/releases", data=outside)
    assert (
        r.status_code == 422 and "「会員データのファイル(データフォルダからの相対パス)」: このパス" in r.text
    )
    assert "項目 members.path" not in r.text
    with write_scope(env.db) as session:
        assert len(service.list_releases(session)) == before


def test_spreadsheet_csv_is_formula_safe_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    pq.write_table(
        pa.table({"name": ['=HYPERLINK("x")', "+1", "@a", "太郎", None], "n": [-5, 1, 2, 3, 4]}), path
    )
    data = b"".join(spreadsheet_csv(path))
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows == [
        ["name", "n"],
        ['\'=HYPERLINK("x")', "-5"],
        ["'+1", "1"],
        ["'@a", "2"],
        ["太郎", "3"],
        ["", "4"],
    ]
