"""Console security: log-in required, CSRF on every form, roles, throttling, cookie flags."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.services import auth
from hogo.store.database import write_scope
from tests.api.env import PASSWORD, Env, client, login

PAGES = ["/", "/policy", "/subjects?q=M", "/subjects/M0000001", "/consents/new", "/ledger", "/admin"]


def _events(c: TestClient, env: Env, sid: str) -> int:
    r = c.get("/api/v1/consents", params={"subject_id": sid}, headers=env.headers(Role.auditor))
    return len(r.json()["items"])


def test_pages_need_login_and_show_no_data(api: TestClient) -> None:
    for path in PAGES:
        r = api.get(path)
        assert r.status_code == 401, path
        assert 'name="password"' in r.text  # the log-in form, nothing else
        # Only the path the visitor typed comes back (in the log-in form); no page content.
        for marker in (
            'id="timeline"',
            'id="decisions"',
            "count-subjects",
            "生年月日",
            "subject-results",
            "new-token",
        ):
            assert marker not in r.text, (path, marker)


def test_htmx_request_without_login_is_redirected(api: TestClient) -> None:
    r = api.get("/subjects?q=M", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["hx-redirect"] == "/login"


def test_wrong_password_and_throttling(env: Env) -> None:
    with write_scope(env.db) as session:
        auth.create_user(session, "throttled", PASSWORD, Role.operator)
    with client(env) as c:
        c.get("/login")
        csrf = c.cookies.get("hogo_login_csrf")
        form = {"username": "throttled", "csrf_token": csrf, "next": "/"}
        for _ in range(5):
            r = c.post("/login", data={**form, "password": "wrong password!"})
            assert r.status_code == 401
            assert "正しくありません" in r.text
        # Over the limit even the right password is refused for a while.
        r = c.post("/login", data={**form, "password": PASSWORD})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "hogo_session" not in c.cookies
    # Other accounts from the same address are not locked out by one account's failures.
    with client(env) as c:
        login(c, env.usernames[Role.auditor])


def test_login_form_needs_its_csrf_token(env: Env) -> None:
    with client(env) as c:
        c.get("/login")
        r = c.post(
            "/login", data={"username": env.usernames[Role.admin], "password": PASSWORD, "csrf_token": "x"}
        )
        assert r.status_code == 400
        assert "hogo_session" not in c.cookies


def test_session_cookie_flags(env: Env) -> None:
    with client(env) as c:
        c.get("/login")
        r = c.post(
            "/login",
            data={"username": env.usernames[Role.auditor], "password": PASSWORD,
                  "csrf_token": c.cookies.get("hogo_login_csrf"), "next": "/"},
            follow_redirects=False,
        )  # fmt: skip
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    with client(env, base_url="https://console.example.jp") as c:
        c.get("/login")
        r = c.post(
            "/login",
            data={"username": env.usernames[Role.auditor], "password": PASSWORD,
                  "csrf_token": c.cookies.get("hogo_login_csrf"), "next": "/"},
            follow_redirects=False,
        )  # fmt: skip
        assert "secure" in r.headers["set-cookie"].lower()


def test_forms_need_the_session_csrf_token(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.operator])
        before = _events(c, env, "M0000007")
        data = {
            "subject_id": "M0000007",
            "purpose_id": "marketing_mail",
            "action": "grant",
            "method": "paper",
        }
        assert c.post("/consents", data=data).status_code == 403
        assert c.post("/consents", data={**data, "csrf_token": "forged"}).status_code == 403
        assert _events(c, env, "M0000007") == before


def test_operator_records_consent_through_the_form(env: Env) -> None:
    sid = env.uncovered_subject()
    with client(env) as c:
        login(c, env.usernames[Role.operator])
        csrf = c.get("/consents/new").context["frame"].csrf_token  # type: ignore[attr-defined]
        data = {"subject_id": sid, "purpose_id": "ad_partners", "action": "grant", "method": "paper",
                "terms_version": "2021-07", "csrf_token": csrf}  # fmt: skip
        r = c.post("/consents", data=data, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith(f"/subjects/{sid}?recorded=")
        page = c.get(r.headers["location"])
        assert 'id="decision-ad_partners" data-allowed="true"' in page.text
        # A bad entry is shown on the form with the field named, and nothing is recorded.
        before = _events(c, env, sid)
        bad = c.post("/consents", data={**data, "purpose_id": "no_such_purpose"})
        assert bad.status_code == 422 and "purpose_id" in bad.text
        assert _events(c, env, sid) == before


def test_consent_form_names_the_field_as_the_form_labels_it(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.operator])
        csrf = c.get("/consents/new").context["frame"].csrf_token  # type: ignore[attr-defined]
        data = {"subject_id": "NO-SUCH-PERSON", "purpose_id": "ad_partners", "action": "grant",
                "method": "paper", "csrf_token": csrf}  # fmt: skip
        bad = c.post("/consents", data=data)
        assert bad.status_code == 422 and "「本人ID」: 本人が登録されていません。" in bad.text
        assert "項目 subject_id" not in bad.text
        english = c.post("/consents?lang=en", data=data)
        assert "Person id: unknown subject." in english.text and "field subject_id" not in english.text


def test_an_officer_cannot_record_a_consent_as_the_persons_own_act(env: Env) -> None:
    """プライバシーセンター(本人による操作) is recorded only by the privacy center, with the
    notice's evidence and how the person was identified; the console neither offers nor takes it."""
    sid = env.uncovered_subject()
    with client(env) as c:
        login(c, env.usernames[Role.operator])
        form = c.get("/consents/new")
        assert 'value="privacy_center"' not in form.text and 'value="paper"' in form.text
        csrf = form.context["frame"].csrf_token  # type: ignore[attr-defined]
        before = _events(c, env, sid)
        data = {"subject_id": sid, "purpose_id": "ad_partners", "action": "grant",
                "method": "privacy_center", "csrf_token": csrf}  # fmt: skip
        assert c.post("/consents", data=data).status_code == 422
        assert _events(c, env, sid) == before


def test_the_language_switch_on_a_refused_form_opens_a_page(env: Env) -> None:
    """A refused form is shown at the address it was posted to (POST only): 「English」 there
    leads to the page the form was on, not to a 405."""
    with client(env) as c:
        login(c, env.usernames[Role.operator])
        csrf = c.get("/consents/new").context["frame"].csrf_token  # type: ignore[attr-defined]
        data = {"subject_id": "NO-SUCH-PERSON", "purpose_id": "ad_partners", "action": "grant",
                "method": "paper", "csrf_token": csrf}  # fmt: skip
        came_from = {"Referer": "http://testserver/consents/new?subject_id=M0000001"}
        bad = c.post("/consents", data=data, headers=came_from)
        switch = bad.context["frame"].switch_lang_href  # type: ignore[attr-defined]
        assert bad.status_code == 422 and switch == "/consents/new?subject_id=M0000001&lang=en"
        elsewhere = c.post("/consents", data=data, headers={"Referer": "https://evil.example/x"})
        assert elsewhere.context["frame"].switch_lang_href == "/?lang=en"  # type: ignore[attr-defined]
        for path in ("//evil.example/x", "/\\evil.example/x"):  # this site's Referer, another site's link
            odd = c.post("/consents", data=data, headers={"Referer": f"http://testserver{path}"})
            assert odd.context["frame"].switch_lang_href == "/?lang=en"  # type: ignore[attr-defined]
        assert c.get(switch).status_code == 200


def test_admin_form_names_the_field_as_the_form_labels_it(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.admin])
        csrf = c.get("/admin").context["frame"].csrf_token  # type: ignore[attr-defined]
        data = {"username": "hanako", "role": "auditor", "password": "short", "csrf_token": csrf}
        bad = c.post("/admin/users", data=data)
        assert bad.status_code == 422 and "「パスワード」: " in bad.text and "項目 password" not in bad.text


def test_auditor_cannot_change_anything(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        csrf = c.get("/").context["frame"].csrf_token  # type: ignore[attr-defined]
        assert "/consents/new" not in c.get("/subjects/M0000008").text
        assert c.get("/consents/new").status_code == 403
        before = _events(c, env, "M0000008")
        data = {
            "subject_id": "M0000008",
            "purpose_id": "marketing_mail",
            "action": "grant",
            "csrf_token": csrf,
        }
        assert c.post("/consents", data=data).status_code == 403
        assert (
            c.post("/admin/tokens", data={"name": "x", "role": "admin", "csrf_token": csrf}).status_code
            == 403
        )
        assert c.get("/admin").status_code == 403
        assert _events(c, env, "M0000008") == before


def test_admin_creates_and_revokes_a_token(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.admin])
        csrf = c.get("/admin").context["frame"].csrf_token  # type: ignore[attr-defined]
        r = c.post("/admin/tokens", data={"name": "website", "role": "operator", "csrf_token": csrf})
        token = r.context["page"].new_token  # type: ignore[attr-defined]
        assert token and token.startswith("hogo_")
        assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["role"] == "operator"
        info = next(k for k in r.context["page"].tokens if k.name == "website")  # type: ignore[attr-defined]
        c.post(f"/admin/tokens/{info.id}/revoke", data={"csrf_token": csrf})
        assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        # A second look at the page never shows the token again.
        assert token not in c.get("/admin").text


def test_admin_is_not_offered_a_button_that_cannot_deactivate_themself(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.admin])
        page = c.get("/admin")
        me = page.context["page"].me  # type: ignore[attr-defined]
        others = [u.id for u in page.context["page"].users if u.id != me]  # type: ignore[attr-defined]
        assert me is not None and f'action="/admin/users/{me}/active"' not in page.text
        assert "ログイン中のご自身は無効にできません" in page.text
        assert others and all(f'action="/admin/users/{u}/active"' in page.text for u in others)


def test_logout_ends_the_session_server_side(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.privacy_officer])
        stolen = c.cookies.get("hogo_session")
        csrf = c.get("/").context["frame"].csrf_token  # type: ignore[attr-defined]
        assert c.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    with client(env) as other:
        other.cookies.set("hogo_session", stolen or "")
        assert other.get("/").status_code == 401


def test_deactivated_user_is_logged_out(env: Env) -> None:
    with client(env) as admin, client(env) as op:
        login(admin, env.usernames[Role.admin])
        login(op, env.usernames[Role.operator])
        assert op.get("/").status_code == 200
        page = admin.get("/admin")
        csrf = page.context["frame"].csrf_token  # type: ignore[attr-defined]
        uid = next(u.id for u in page.context["page"].users if u.username == env.usernames[Role.operator])  # type: ignore[attr-defined]
        admin.post(f"/admin/users/{uid}/active", data={"active": "0", "csrf_token": csrf})
        assert op.get("/").status_code == 401
        admin.post(f"/admin/users/{uid}/active", data={"active": "1", "csrf_token": csrf})


def test_language_switch(env: Env) -> None:
    with client(env) as c:
        login(c, env.usernames[Role.auditor])
        assert "組織の概要" in c.get("/").text
        r = c.get("/?lang=en")
        assert "The organisation at a glance" in r.text and '<html lang="en">' in r.text
        assert "The organisation at a glance" in c.get("/").text  # remembered in a cookie
        assert "組織の概要" in c.get("/?lang=ja").text


def test_security_headers_and_static_htmx(api: TestClient) -> None:
    r = api.get("/login")
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in r.headers["content-security-policy"]
    js = api.get("/static/htmx.min.js")
    assert js.status_code == 200 and "Zero-Clause BSD" in js.text[:600]
