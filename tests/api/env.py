"""A small demo organisation with one user and one API token per role, for API and console tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from hogo.auth.roles import Role
from hogo.config import Settings
from hogo.demo import build_database
from hogo.domain import reasons as R
from hogo.domain.clock import JST, age_on
from hogo.errors import NotFound
from hogo.http.app import create_app
from hogo.services import auth
from hogo.services.consent import check
from hogo.services.subjects import get_subject
from hogo.store.database import make_db, write_scope

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass
class Env:
    app: FastAPI
    db: Engine
    database_url: str
    tokens: dict[Role, str]
    usernames: dict[Role, str]

    def headers(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    used: set[str] = field(default_factory=set)

    def uncovered_subject(self, purpose: str = "ad_partners") -> str:
        """An adult, identified member whose terms acceptance does not cover `purpose` (each once)."""
        now = datetime.now(JST)
        with write_scope(self.db) as session:
            for n in range(10, 10_000):
                sid = f"M{n:07d}"
                if sid in self.used:
                    continue
                try:
                    subject = get_subject(session, sid)
                except NotFound:
                    break
                adult = subject.birth_date is not None and age_on(subject.birth_date, now.date()) >= 20
                d = check(session, sid, purpose, now)
                if (
                    adult
                    and subject.identity_verified
                    and d.reasons[0].code == R.TERMS_DID_NOT_INCLUDE_PURPOSE.code
                ):
                    self.used.add(sid)
                    return sid
        raise LookupError("no uncovered member left in the demo data")


def build_env(tmp: Path, subjects: int = 120, data_dir: Path | None = None) -> Env:
    db = tmp / "hogo-test.db"
    build_database(db, subjects=subjects, seed=7)
    url = f"sqlite:///{db}"
    engine = make_db(url)
    tokens: dict[Role, str] = {}
    usernames: dict[Role, str] = {}
    with write_scope(engine) as session:
        for role in Role:
            name = f"{role.value.replace('_', '-')}-user"
            auth.create_user(session, name, PASSWORD, role, f"{role.value} (test)")
            usernames[role] = name
            tokens[role], _ = auth.create_token(session, f"{role.value}-token", role)
    settings = Settings(database_url=url, secret_key=SECRET, **({"data_dir": data_dir} if data_dir else {}))
    return Env(create_app(settings, db=engine), engine, url, tokens, usernames)


@contextmanager
def client(env: Env, base_url: str = "http://testserver") -> Iterator[TestClient]:
    with TestClient(env.app, base_url=base_url) as c:
        yield c


def login(c: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log in through the real form (with its CSRF cookie) and keep the session cookie."""
    c.get("/login")
    token = c.cookies.get("hogo_login_csrf")
    r = c.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
