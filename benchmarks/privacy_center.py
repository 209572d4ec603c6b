"""The privacy center's page for one person with a long history, beside the console's person page.

Run: `python benchmarks/privacy_center.py [--events 200] [--provisions 50] [--views 50]`.

1. Builds the demo organisation (`--subjects`, default 200) in a temporary SQLite file, one
   console user, and gives one member `--events` consent events (grants, withdrawals,
   objections over the policy's purposes, a minute apart) and `--provisions` 法29条 records of
   personal data provided (each listing that member and 99 others).
2. Opens the privacy center as that member through a signed link (the real two steps) and asks
   for `GET /privacy` `--views` times, in process (httpx over ASGI: no network, the server-side
   work only: the timeline decision for every purpose, the notice sections, the history and the
   provision records, the template).
3. Baseline, same run: the officer console's page for the same person (`GET /subjects/ID`).
Printed: p50 and p95 milliseconds of each and their ratio.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from fastapi.testclient import TestClient

from figures import row
from hogo.auth.roles import Role
from hogo.config import Settings
from hogo.demo import build_database
from hogo.domain.consent import ConsentAction, ConsentEvent, ConsentMethod
from hogo.domain.policy import Relationship
from hogo.domain.provision import ReleaseMode
from hogo.http.app import create_app
from hogo.services import auth, sites
from hogo.services.consent import record_events
from hogo.services.policy import require_policy
from hogo.services.provisions import record_provision
from hogo.store.database import make_db, write_scope

SECRET = "privacy-center-benchmark-secret-0123456789abcdef"
PASSWORD = "correct horse battery staple"
ACTIONS = (ConsentAction.grant, ConsentAction.withdraw, ConsentAction.grant, ConsentAction.object)


def _fill(db: object, subject: str, events: int, provisions: int, others: list[str]) -> None:
    with write_scope(db) as s:  # type: ignore[arg-type]
        policy = require_policy(s)
        purposes = [p.id for p in policy.purposes]
        start = datetime(2023, 1, 1, tzinfo=UTC)
        record_events(
            s,
            [
                ConsentEvent(
                    event_id=f"bench-{i:05d}",
                    subject_id=subject,
                    purpose_id=purposes[i % len(purposes)],
                    action=ACTIONS[(i // len(purposes)) % len(ACTIONS)],
                    collected_at=start + timedelta(minutes=i),
                    method=ConsentMethod.web_form,
                )
                for i in range(events)
            ],
        )
        purpose, recipient = next(
            (p, r)
            for p in policy.purposes
            for rid in p.recipients
            if (r := policy.recipient(rid)) is not None and r.relationship is Relationship.third_party
        )
        for i in range(provisions):
            record_provision(
                s,
                policy,
                provision_id=f"bench-prov-{i:04d}",
                mode=ReleaseMode.personal,
                purpose_id=purpose.id,
                recipient_id=recipient.id,
                provided_at=start + timedelta(days=i),
                data_items=["メールアドレスのハッシュ", "購買金額"],
                persons=[(subject, "consent"), *((o, "consent") for o in others)],
            )


def _times(client: TestClient, path: str, views: int) -> list[float]:
    client.get(path)  # warm: templates compiled, policy parsed
    out = []
    for _ in range(views):
        start = time.perf_counter()
        r = client.get(path)
        out.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, r.status_code
    return sorted(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=200)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--provisions", type=int, default=50)
    parser.add_argument("--views", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        build_database(path, subjects=args.subjects, seed=7)
        url = f"sqlite:///{path}"
        db = make_db(url)
        subject = "M0000001"
        others = [f"M{n:07d}" for n in range(2, min(args.subjects, 100) + 1)]
        _fill(db, subject, args.events, args.provisions, others)
        with write_scope(db) as s:
            auth.create_user(s, "officer", PASSWORD, Role.privacy_officer)
            _, key = sites.add_site(s, "shop", "shop", ["https://shop.example.jp"], secret_key=SECRET)
        app = create_app(Settings(database_url=url, secret_key=SECRET), db=db)
        now = int(time.time())
        token = jwt.encode(
            {"iss": "shop", "sub": subject, "aud": sites.PRIVACY_CENTER_AUDIENCE, "iat": now, "exp": now + 300,
             "jti": secrets.token_urlsafe(16)},
            key.secret, algorithm="HS256", headers={"kid": key.key_id},
        )  # fmt: skip
        with TestClient(app) as person, TestClient(app) as officer:
            page = person.get("/privacy/enter", params={"token": token}).text
            csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
            assert person.post("/privacy/enter", data={"token": token, "csrf_token": csrf}).status_code == 200
            officer.get("/login")
            officer.post("/login", data={"username": "officer", "password": PASSWORD, "next": "/",
                                         "csrf_token": officer.cookies.get("hogo_login_csrf")})  # fmt: skip
            html = person.get("/privacy").text
            assert html.count("/privacy/receipts/") >= args.events, "every event is listed"
            assert html.count('data-label="提供日"') == args.provisions, "every provision record is listed"
            center = _times(person, "/privacy", args.views)
            console = _times(officer, f"/subjects/{subject}", args.views)
        db.dispose()  # type: ignore[attr-defined]
    print(
        f"person with {args.events} events and {args.provisions} provision records; {args.views} views each"
    )
    for name, q in (("p50", 0.5), ("p95", 0.95)):
        c, b = center[int(q * (len(center) - 1))], console[int(q * (len(console) - 1))]
        row(f"GET /privacy {name}", c, "ms", f"console GET /subjects/ID {name}", b)
    print(
        f"mean {statistics.mean(center):.1f} ms (privacy center) vs {statistics.mean(console):.1f} ms (console)"
    )


if __name__ == "__main__":
    main()
