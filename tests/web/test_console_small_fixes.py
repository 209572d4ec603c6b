"""Issue 17 item 11: the smaller console faults a new privacy officer meets.

Search results cut at 50 say so and page; new users and tokens get the least privileged role; the
有効 column reads 有効/無効; ledger links open the entry; 404/403 pages keep the navigation; the
two notice drafts are told apart on the incident page; task ids are not shown to people.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import LEAST_PRIVILEGED, Role
from hogo.domain.clock import JST
from hogo.domain.consent import Subject
from hogo.domain.incidents.types import IncidentType
from hogo.services import auth, incidents, ledger, person_keys
from hogo.services.erasure import erase
from hogo.services.subjects import upsert_subjects
from hogo.store.database import write_scope
from hogo.web.views.subjects import PAGE_SIZE, SubjectsPage
from tests.api.env import Env, client, login


@pytest.fixture()
def admin(env: Env) -> Iterator[TestClient]:
    with client(env) as c:
        login(c, env.usernames[Role.admin])
        yield c


def _csrf(c: TestClient) -> str:
    token = c.get("/").context["frame"].csrf_token  # type: ignore[attr-defined]
    assert isinstance(token, str) and token
    return token


def _visible(html: str) -> str:
    """The text a person reads: tags and attributes dropped."""
    return re.sub(r"<[^>]+>", " ", html)


def test_subject_search_says_when_results_are_cut_and_pages(auditor: TestClient) -> None:
    first = auditor.get("/subjects", params={"q": "M"})
    page = first.context["page"]  # type: ignore[attr-defined]
    assert isinstance(page, SubjectsPage)
    assert len(page.results) == PAGE_SIZE and page.more
    assert "1〜50件目を表示しています" in first.text and "さらにいます" in first.text
    assert 'href="/subjects?q=M&amp;page=2"' in first.text
    second = auditor.get("/subjects", params={"q": "M", "page": 2}).context["page"]  # type: ignore[attr-defined]
    assert second.results[0].subject_id == "M0000051" and second.first == 51
    last = auditor.get("/subjects", params={"q": "M", "page": 3})  # 120 members: 101–120, nothing after
    assert not last.context["page"].more  # type: ignore[attr-defined]
    assert "101〜120件目" in last.text and "subjects-next" not in last.text
    few = auditor.get("/subjects", params={"q": "M000001"})  # ten persons: no paging line at all
    assert "subject-paging" not in few.text


def test_new_users_and_tokens_default_to_the_least_privileged_role(admin: TestClient, env: Env) -> None:
    assert LEAST_PRIVILEGED is Role.auditor
    html = admin.get("/admin").text
    for select_id in ("new-role", "token-role"):
        options = re.search(f'<select id="{select_id}".*?</select>', html, flags=re.S)
        assert options is not None
        first = re.search(r"<option ([^>]*)>", options.group(0))
        assert first is not None and 'value="auditor"' in first.group(1) and "selected" in first.group(1)
    # A form posted without a role (an older page, a script) also gets the least privileged role.
    r = admin.post("/admin/tokens", data={"name": "no-role-given", "csrf_token": _csrf(admin)})
    assert r.status_code == 200
    with write_scope(env.db) as session:
        made = [k for k in auth.list_tokens(session) if k.name == "no-role-given"]
    assert [k.role for k in made] == [Role.auditor]
    # The services every entry point calls have the same default (a caller that names no role).
    with write_scope(env.db) as session:
        _token, info = auth.create_token(session, "service-default")
        user = auth.create_user(session, "service-default-user", "a long enough password")
    assert info.role is Role.auditor and user.role is Role.auditor


def test_active_column_reads_active_or_inactive(admin: TestClient) -> None:
    html = admin.get("/admin").text
    users = html.split('id="users-h"')[1].split("</table>")[0]
    assert "有効" in _visible(users) and "はい" not in _visible(users)


def test_ledger_links_open_the_entry(auditor: TestClient, operator: TestClient, env: Env) -> None:
    with write_scope(env.db) as session:
        view = incidents.open_new(
            session, IncidentType.missent_email, datetime(2026, 4, 1, 9, tzinfo=JST), "誤送信"
        )
    page = auditor.get(f"/incidents/{view.id}")
    seqs = re.findall(r'href="/ledger/(\d+)"', page.text)
    assert seqs, "the incident timeline links its ledger entries"
    entry = auditor.get(f"/ledger/{seqs[0]}")
    assert entry.status_code == 200
    assert "漏えい等事案の記録" in entry.text and 'id="entry-check"' in entry.text
    assert "ハッシュと一致しています" in entry.text
    assert 'id="entry-payload"' in entry.text  # the auditor verifies the ledger: sees what was recorded
    assert 'id="entry-payload"' not in operator.get(f"/ledger/{seqs[0]}").text
    assert auditor.get("/ledger/999999999").status_code == 404


def test_error_pages_keep_the_navigation(auditor: TestClient) -> None:
    missing = auditor.get("/no-such-page")
    assert missing.status_code == 404
    forbidden = auditor.get("/consents/new")
    assert forbidden.status_code == 403
    for r in (missing, forbidden):
        assert '<nav class="main"' in r.text and 'href="/incidents"' in r.text
        assert 'action="/logout"' in r.text
        assert 'href="/consents/new"' not in r.text  # the menu still lists only what the role may open


def test_error_pages_are_titled_in_words_not_by_the_status_number(auditor: TestClient) -> None:
    for path, title, english in (
        ("/no-such-page", "見つかりません", "Not found"),
        ("/consents/new", "権限がありません", "Not permitted"),
    ):
        r = auditor.get(f"{path}?lang=ja")
        assert f"<title>{title} — " in r.text and f"<h1>{title} " in r.text, path
        assert f"<title>{r.status_code} — " not in r.text
        assert f"<title>{english} — " in auditor.get(f"{path}?lang=en").text


def test_notice_drafts_are_told_apart_and_task_ids_are_hidden(officer: TestClient, env: Env) -> None:
    with write_scope(env.db) as session:
        view = incidents.open_new(
            session, IncidentType.missent_email, datetime(2026, 4, 1, 9, tzinfo=JST), "誤送信"
        )
        task_ids = [t.id for t in view.tasks]
    r = officer.get(f"/incidents/{view.id}")
    titles = [d.title for d in r.context["page"].documents]  # type: ignore[attr-defined]
    assert len(set(titles)) == len(titles)
    text = _visible(r.text)
    assert task_ids and not any(re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", text) for t in task_ids)
    assert f'data-task="{task_ids[0]}"' in r.text  # still there for machines and tests


def test_a_ledger_entry_shows_a_persons_values_until_they_are_erased(admin: TestClient, env: Env) -> None:
    # The admin verifies the ledger and may see personal values (the auditor sees them withheld:
    # tests/web/test_ledger_entry_personal.py).
    with write_scope(env.db) as session:
        upsert_subjects(session, [Subject(subject_id="WEBERASE1", birth_date=date(1971, 2, 3))])
        [entry] = ledger.entries_for(session, *person_keys.ref_of(session, "WEBERASE1"))
    page = admin.get(f"/ledger/{entry.seq}").text
    assert "WEBERASE1" in page and "1971-02-03" in page  # opened with the person's key
    with write_scope(env.db) as session:
        erase(session, "WEBERASE1")
    page = admin.get(f"/ledger/{entry.seq}").text
    assert "WEBERASE1" not in page and "1971-02-03" not in page
    assert "消去済み" in page and "ハッシュと一致しています" in page  # the entry itself still checks
