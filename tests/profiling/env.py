"""The profiling world behind the application, with one user and one API token per role, for
the API and console tests. Submitted jobs read from ``folder`` (HOGO_INPUT_DIR) and write below
``folder/releases`` (HOGO_RELEASE_DIR)."""

from __future__ import annotations

from pathlib import Path

from hogo.auth.roles import Role
from hogo.config import Settings
from hogo.http.app import create_app
from hogo.services import auth
from hogo.store.database import make_db, upgrade, write_scope
from tests.api.env import PASSWORD, SECRET, Env
from tests.profiling.test_profile_jobs import build_profile_world


def profile_env(folder: Path) -> Env:
    url = f"sqlite:///{folder / 'hogo-profiles.db'}"
    engine = make_db(url)
    upgrade(engine)
    build_profile_world(engine, folder)
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
