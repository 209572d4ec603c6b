"""The 「判明した事実を記録」 and report-item forms on the incident page: recording re-evaluates the
verdict and adds to the timeline, bad input names the field and stores nothing, the auditor sees
no form and gets 403, and both are plain POST forms with the CSRF token (no JavaScript needed)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.domain.clock import JST
from hogo.domain.incidents.types import IncidentType
from hogo.services import incidents
from hogo.store.database import write_scope
from hogo.web.render import Frame
from hogo.web.views.incident import IncidentPage
from tests.api.env import Env, client

INVENTORY_CSV = (
    "id,name,data_categories,subjects,count,encryption\r\n"
    "members,会員名簿,contact;purchase,id_prefix:M000002,0,standard\r\n"
).encode("utf-8-sig")


@pytest.fixture(scope="module", autouse=True)
def inventory(env: Env) -> None:
    with client(env) as c:
        r = c.post(
            "/api/v1/inventory/import",
            files={"file": ("inventory.csv", INVENTORY_CSV)},
            headers=env.headers(Role.privacy_officer),
        )
        assert r.status_code == 200, r.text


def _open(env: Env) -> str:
    """A mis-sent e-mail to a few members: not reportable until more is learnt."""
    with write_scope(env.db) as session:
        view = incidents.open_new(
            session, IncidentType.missent_email, datetime.now(JST), "誤送信", dataset_ids=["members"]
        )
    assert not view.reportable
    return view.id


def _page(c: TestClient, path: str) -> IncidentPage:
    r = c.get(path)
    assert r.status_code == 200, r.text
    page = r.context["page"]  # type: ignore[attr-defined]
    assert isinstance(page, IncidentPage)
    return page


def _csrf(c: TestClient, incident_id: str) -> str:
    frame = c.get(f"/incidents/{incident_id}").context["frame"]  # type: ignore[attr-defined]
    assert isinstance(frame, Frame) and frame.csrf_token
    return frame.csrf_token


def test_recording_facts_reassesses_and_adds_to_the_timeline(officer: TestClient, env: Env) -> None:
    incident_id = _open(env)
    before = _page(officer, f"/incidents/{incident_id}")
    assert before.facts_form is not None and before.facts_form.error is None
    data = {"csrf_token": _csrf(officer, incident_id), "persons": "1200"}
    r = officer.post(f"/incidents/{incident_id}/facts", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/incidents/{incident_id}?recorded=facts#verdict"
    page = _page(officer, r.headers["location"])
    assert page.recorded == "facts"
    assert page.incident.reportable and page.incident.triggers == (4,) and page.incident.persons == 1200
    assert page.incident.deadlines.preliminary is not None
    kinds = [e.kind.value for e in page.timeline]
    assert len(page.timeline) == len(before.timeline) + 2 and {"facts", "assessment"} <= set(kinds)
    assert any("persons" in e.summary_ja for e in page.timeline if e.kind.value == "facts")
    html = officer.get(r.headers["location"]).text
    assert "規則7条4号" in html and 'id="deadlines"' in html and "再判定しました" in html
    # A further fact: card numbers (規則7条2号); the earlier one is kept.
    data = {"csrf_token": _csrf(officer, incident_id), "card_or_login": "yes", "encryption": "none"}
    assert officer.post(f"/incidents/{incident_id}/facts", data=data).status_code == 200
    page = _page(officer, f"/incidents/{incident_id}")
    assert page.incident.triggers == (2, 4) and page.incident.facts.card_or_login
    assert page.incident.persons == 1200


def test_bad_input_names_the_field_and_stores_nothing(officer: TestClient, env: Env) -> None:
    incident_id = _open(env)
    before = _page(officer, f"/incidents/{incident_id}")
    csrf = _csrf(officer, incident_id)
    url = f"/incidents/{incident_id}/facts"
    bad = officer.post(url, data={"csrf_token": csrf, "persons": "-5", "card_or_login": "yes"})
    assert bad.status_code == 422
    assert "項目 persons" in bad.text and "本人の数" in bad.text and 'aria-invalid="true"' in bad.text
    form = bad.context["page"].facts_form  # type: ignore[attr-defined]
    assert form.error_field == "persons" and form.values["persons"] == "-5"  # what was typed stays
    english = officer.post(f"{url}?lang=en", data={"csrf_token": csrf, "persons": "-5"})
    assert (
        english.status_code == 422 and "field persons" in english.text and "Number of persons" in english.text
    )
    for data, name in (
        ({"improper_purpose": "maybe"}, "improper_purpose"),
        ({"encryption": "rot13"}, "encryption"),
        ({"client_informed_at": "yesterday"}, "client_informed_at"),
        ({"persons": "99999999999"}, "persons"),
    ):
        r = officer.post(f"{url}?lang=ja", data={"csrf_token": csrf, **data})
        assert r.status_code == 422 and f"項目 {name}" in r.text, name
    nothing = officer.post(url, data={"csrf_token": csrf})
    assert nothing.status_code == 422 and "記録する事実を指定してください" in nothing.text
    after = _page(officer, f"/incidents/{incident_id}")
    assert after.incident == before.incident and len(after.timeline) == len(before.timeline)
    assert officer.post(url, data={"persons": "1200"}).status_code == 403  # no CSRF token
    assert officer.post(url, data={"persons": "1200", "csrf_token": "forged"}).status_code == 403
    assert _page(officer, f"/incidents/{incident_id}").incident.persons == before.incident.persons


def test_report_items_are_recorded(officer: TestClient, env: Env) -> None:
    incident_id = _open(env)
    before = _page(officer, f"/incidents/{incident_id}")
    assert before.details_form is not None
    names = [i.name for i in before.details_form.items]
    assert names[:2] == ["overview", "cause"] and "(4) 原因" in [i.label for i in before.details_form.items]
    csrf = _csrf(officer, incident_id)
    form = {i.name: i.value for i in before.details_form.items}
    r = officer.post(
        f"/incidents/{incident_id}/details",
        data={**form, "csrf_token": csrf, "cause": "宛先の選択誤り\r\n確認手順なし"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("?recorded=details#verdict")
    page = _page(officer, r.headers["location"])
    assert page.incident.details.cause == "宛先の選択誤り\n確認手順なし"
    notes = [e for e in page.timeline if e.kind.value == "note"]
    assert len(notes) == 1 and notes[0].summary_ja.endswith(": cause")  # only what changed
    too_long = officer.post(
        f"/incidents/{incident_id}/details", data={"csrf_token": csrf, "prevention": "x" * 4001}
    )
    assert too_long.status_code == 422 and "項目 prevention" in too_long.text
    assert "再発防止のための措置" in too_long.text
    unchanged = officer.post(
        f"/incidents/{incident_id}/details",
        data={"csrf_token": csrf, "cause": "宛先の選択誤り\n確認手順なし"},
    )
    assert unchanged.status_code == 422
    after = _page(officer, f"/incidents/{incident_id}")
    assert after.incident.details == page.incident.details and len(after.timeline) == len(page.timeline)


def test_auditor_sees_no_form_and_gets_403(auditor: TestClient, env: Env) -> None:
    incident_id = _open(env)
    page = _page(auditor, f"/incidents/{incident_id}")
    assert page.facts_form is None and page.details_form is None
    html = auditor.get(f"/incidents/{incident_id}").text
    assert f"{incident_id}/facts" not in html and f"{incident_id}/details" not in html
    assert "判明した事実を記録" not in html
    csrf = _csrf(auditor, incident_id)
    for path, data in (("facts", {"persons": "5000"}), ("details", {"cause": "x"})):
        r = auditor.post(f"/incidents/{incident_id}/{path}", data={**data, "csrf_token": csrf})
        assert r.status_code == 403, path
    after = _page(auditor, f"/incidents/{incident_id}")
    assert after.incident == page.incident and len(after.timeline) == len(page.timeline)


def test_the_forms_work_without_javascript(officer: TestClient, env: Env) -> None:
    incident_id = _open(env)
    html = officer.get(f"/incidents/{incident_id}").text
    for action in ("facts", "details"):
        form = re.search(
            rf'<form[^>]*action="/incidents/{incident_id}/{action}"[^>]*>(.*?)</form>', html, re.S
        )
        assert form is not None, action
        assert 'method="post"' in form.group(0) and "hx-" not in form.group(0)
        assert 'name="csrf_token"' in form.group(1) and 'type="submit"' in form.group(1)
    # Legal terms as the law writes them.
    for term in ("本人の数", "規則7条2号", "不正の目的", "高度な暗号化", "委託元", "法26条1項ただし書"):
        assert term in html, term
    assert 'for="f-persons"' in html and 'id="f-persons"' in html  # every field has its label
    english = officer.get(f"/incidents/{incident_id}?lang=en").text
    assert "Record facts learnt" in english and "advanced encryption" in english


def test_a_report_item_form_filled_before_another_edit_does_not_overwrite_it(
    officer: TestClient, env: Env
) -> None:
    incident_id = _open(env)
    csrf = _csrf(officer, incident_id)
    first = _page(officer, f"/incidents/{incident_id}").details_form
    second = _page(officer, f"/incidents/{incident_id}").details_form
    assert first is not None and second is not None and first.base == second.base
    saved = officer.post(f"/incidents/{incident_id}/details",
                         data={"csrf_token": csrf, "base": first.base, "cause": "担当者Aの記載"}, follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303
    stale = officer.post(f"/incidents/{incident_id}/details",
                         data={"csrf_token": csrf, "base": second.base, "cause": "担当者Bの記載"})  # fmt: skip
    assert stale.status_code == 409 and "他の担当者が報告事項を更新しました" in stale.text
    shown = stale.context["page"].details_form  # type: ignore[attr-defined]
    assert shown.error_field == "base" and shown.base != second.base
    assert {i.name: i.value for i in shown.items}["cause"] == "担当者Bの記載"  # what B typed is kept
    assert _page(officer, f"/incidents/{incident_id}").incident.details.cause == "担当者Aの記載"
    again = officer.post(f"/incidents/{incident_id}/details",
                         data={"csrf_token": csrf, "base": shown.base, "cause": "担当者Bの記載"}, follow_redirects=False)  # fmt: skip
    assert again.status_code == 303
    assert _page(officer, f"/incidents/{incident_id}").incident.details.cause == "担当者Bの記載"
