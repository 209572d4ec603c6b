"""Getting a person into the privacy center as a browser would, for the HTTP and browser tests."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hogo.domain.decision import Basis
from hogo.domain.policy import Relationship
from hogo.domain.provision import ProvisionRecord, ReleaseMode
from hogo.errors import NotFound
from hogo.services import sites
from hogo.services.consent import timeline
from hogo.services.policy import require_policy
from hogo.services.provisions import record_provision
from hogo.store.database import read_scope, write_scope
from tests.api.env import Env
from tests.embed_helpers import member_token, register_site

SITE = "shop"


def register(db: Engine) -> sites.NewKey:
    """The member site the demo's members come from (once per store)."""
    return register_site(db, SITE, ["https://www.example.jp"])


def provide(db: Engine, subject_id: str, provision_id: str) -> ProvisionRecord:
    """A 法29条 record of this person's data given to the demo policy's first third party."""
    with write_scope(db) as s:
        policy = require_policy(s)
        purpose, recipient = next(
            (p, r)
            for p in policy.purposes
            for rid in p.recipients
            if (r := policy.recipient(rid)) is not None and r.relationship is Relationship.third_party
        )
        return record_provision(
            s,
            policy,
            provision_id=provision_id,
            mode=ReleaseMode.personal,
            purpose_id=purpose.id,
            recipient_id=recipient.id,
            provided_at=datetime(2024, 6, 1, 1, 0, tzinfo=UTC),
            data_items=["メールアドレスのハッシュ", "購買金額"],
            persons=[(subject_id, "consent")],
        )


def link_token(key: sites.NewKey, subject_id: str) -> str:
    return member_token(key, SITE, subject_id, aud=sites.PRIVACY_CENTER_AUDIENCE)


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "no CSRF token on the page"
    return found.group(1)


def enter(c: TestClient, token: str) -> None:
    """Open the link, press the button, and follow to the privacy center."""
    page = c.get("/privacy/enter", params={"token": token})
    assert page.status_code == 200, page.text
    r = c.post(
        "/privacy/enter", data={"token": token, "csrf_token": form_token(page.text)}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/privacy", r.text


def choose(c: TestClient, purpose: str, action: str, **headers: str) -> str:
    """Pick `action` in the purpose's form on the page and send it; the redirect's target."""
    html = c.get("/privacy").text
    section = html[html.index(f'id="purpose-{purpose}"') :]
    sha = section.split('name="shown_sha256" value="')[1].split('"')[0]
    data = {"csrf_token": form_token(html), "purpose_id": purpose, "action": action, "shown_sha256": sha}
    r = c.post(
        "/privacy/consents", data={**data, "lang_shown": "ja"}, headers=headers, follow_redirects=False
    )
    assert r.status_code == 303, r.text
    return str(r.headers["location"])


def consenting_subject(env: Env) -> tuple[str, str]:
    """A demo member (not used by another test) with a purpose allowed on their consent now."""
    now = datetime.now(UTC)
    with read_scope(env.db) as s:
        for n in range(1, 10_000):
            sid = f"M{n:07d}"
            if sid in env.used:
                continue
            try:
                answer = timeline(s, sid, now)
            except NotFound:
                break
            purpose = next(
                (d.purpose_id for d in answer.decisions if d.allowed and d.basis is Basis.consent), None
            )
            if purpose is not None:
                env.used.add(sid)
                return sid, purpose
    raise LookupError("no consenting member left in the demo data")
