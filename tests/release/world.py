"""A small release world shared by the service, API, console and browser tests.

Five members (consent, withdrawn, objected, opt-out, unmatched) and a partner table, as in
test_release_run, plus 300 members for an anonymized release; specs are plain mappings, the shape
`POST /api/v1/releases` takes (inputs relative to the data folder, outputs to the releases folder).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from hogo.auth.roles import Role
from hogo.config import Settings
from hogo.http.app import create_app
from hogo.services import auth
from hogo.services.consent import record_events
from hogo.services.policy import apply_policy
from hogo.services.subjects import upsert_subjects
from hogo.store.database import make_db, upgrade, write_scope
from tests.api.env import PASSWORD, SECRET, Env
from tests.factories import event, person, policy

TOKEN_KEY = "ab" * 32
MEMBERS = """member_id,email,phone,purchase_total,prefecture,age_band
M1,taro@example.jp,090-1111-2222,1200,東京都,30代
M2,hanako@example.jp,080-3333-4444,800,東京都,30代
M3,jiro@example.jp,070-5555-6666,300,大阪府,40代
M4,saburo@example.jp,,4500,大阪府,40代
M5,shiro@example.jp,03-1234-5678,50,東京都,30代
"""
PARTNER = """customer_no,mail,tel
P-1,taro@example.jp,
P-2,,080-3333-4444
P-3,jiro@example.jp,+81 70 5555 6666
P-4,nobody@example.jp,09099998888
P-5,saburo@example.jp,not-a-phone
"""
ANON_COLUMNS = ["member_id", "email", "phone", "age", "prefecture", "sex", "spend"]


def build_world(store: Engine, folder: Path) -> None:
    """Policy, persons, consent history and the input files."""
    with write_scope(store) as s:
        apply_policy(s, policy())
        upsert_subjects(s, [person(f"M{i}") for i in range(1, 6)] + [person(f"A{n:04d}") for n in range(300)])
        record_events(
            s,
            [
                event("M1", when="2022-01-01T10:00"),
                event("M2", when="2022-01-01T10:00"),
                event("M2", action="withdraw", when="2023-01-01T10:00"),
                event("M3", action="object", when="2023-01-01T10:00"),
            ],
        )
    (folder / "members.csv").write_text(MEMBERS, encoding="utf-8")
    (folder / "partner.csv").write_text(PARTNER, encoding="utf-8")
    rng = random.Random(5)
    rows = [",".join(ANON_COLUMNS)]
    for n in range(300):
        rows.append(f"A{n:04d},user{n}@example.jp,090{n:08d},{rng.randrange(18, 90)},"
                    f"{rng.choice(['東京都', '大阪府', '北海道', '福岡県'])},{rng.choice('MF')},{rng.randrange(100, 9000)}")  # fmt: skip
    (folder / "anon.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def personal_spec(release_id: str, **changes: Any) -> dict[str, Any]:
    cols = {c: c for c in ["member_id", "email", "phone", "purchase_total", "prefecture", "age_band"]}
    spec: dict[str, Any] = {
        "id": release_id, "mode": "personal", "purpose": "ad_partners", "recipient": "adco",
        "at": "2024-06-01T00:00:00+09:00",
        "members": {"path": "members.csv", "columns": cols},
        "partner": {"path": "partner.csv", "columns": {"email": "mail", "phone": "tel"}},
        "output": {"dir": "out", "items": {"purchase_total": "contact"}},
    }  # fmt: skip
    spec.update(changes)
    return spec


def anonymized_spec(release_id: str) -> dict[str, Any]:
    return {
        "id": release_id, "mode": "anonymized", "purpose": "service", "recipient": "mailer",
        "at": "2024-06-01T00:00:00+09:00",
        "members": {"path": "anon.csv", "columns": {c: c for c in ANON_COLUMNS}},
        "output": {"dir": "out"},
        "anonymization": {"quasi_identifiers": {"age": "interval:5,10,20,40", "prefecture": "mask", "sex": "mask"},
                          "keep": ["spend"], "k": 5, "suppression": 0.05},
    }  # fmt: skip


def release_env(folder: Path) -> Env:
    """The world above behind the application, with one user and one API token per role.

    Submitted specs read from ``folder`` (HOGO_INPUT_DIR) and write below ``folder/releases``.
    """
    url = f"sqlite:///{folder / 'hogo-release.db'}"
    engine = make_db(url)
    upgrade(engine)
    build_world(engine, folder)
    tokens: dict[Role, str] = {}
    usernames: dict[Role, str] = {}
    with write_scope(engine) as session:
        for role in Role:
            name = f"{role.value.replace('_', '-')}-user"
            auth.create_user(session, name, PASSWORD, role, f"{role.value} (test)")
            usernames[role] = name
            tokens[role], _ = auth.create_token(session, f"{role.value}-token", role)
    settings = Settings(
        database_url=url,
        secret_key=SECRET,
        data_dir=folder,
        input_dir=folder,
        release_dir=folder / "releases",
    )
    return Env(create_app(settings, db=engine), engine, url, tokens, usernames)
