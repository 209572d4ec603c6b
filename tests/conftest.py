"""Shared fixtures: a migrated store on SQLite, and on PostgreSQL where one is reachable; the
data engines (DuckDB, and Spark where pyspark is installed)."""

from __future__ import annotations

import os
import uuid

# Rich sizes its console once, at import: make CLI output wide enough for assertions, in every
# pytest-xdist worker, before any test imports hogo.cli.
os.environ["COLUMNS"] = "200"
# Persons' keys are wrapped by a master key (docs/ledger.md "Forgetting a person"): one throw-away
# key file per test run, never the default under the working directory's data folder.
if "HOGO_MASTER_KEY_FILE" not in os.environ:
    import base64
    import tempfile

    _keys = tempfile.mkdtemp(prefix="hogo-test-keys-")
    _master = os.path.join(_keys, "master.key")
    with open(os.open(_master, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as _handle:
        _handle.write(base64.b64encode(os.urandom(32)).decode("ascii") + "\n")
    os.environ["HOGO_MASTER_KEY_FILE"] = _master

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from hogo.engines import SqlEngine, get_engine
from hogo.store.database import make_db, upgrade
from hogo.store.tables import Base

POSTGRES_ENV = "HOGO_TEST_POSTGRES_URL"
SHARED = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, throw-away database on the server named by HOGO_TEST_POSTGRES_URL."""
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        pytest.skip(
            f"PostgreSQL tests skipped: set {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/postgres)"
        )
    name = f"hogo_test_{uuid.uuid4().hex[:10]}"
    # A URL that is set but unreachable is a broken CI setup: fail loudly rather than skip.
    admin = make_db(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))  # name is generated above, not user input
    url = make_url(admin_url).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _postgres_engine(postgres_url: str) -> Iterator[Engine]:
    engine = make_db(postgres_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture()
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_db(f"sqlite:///{tmp_path / 'hogo.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty store on each backend (the same migrations on both)."""
    if request.param == "sqlite":
        engine = make_db(f"sqlite:///{tmp_path / 'hogo.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("_postgres_engine")
        _truncate(engine)
        yield engine


@pytest.fixture()
def adult_dir() -> Path:
    path = SHARED / "data" / "adult"
    if not (path / "adult.csv").exists():
        pytest.skip(f"Adult benchmark data not found at {path} (it lives in ../shared/data/adult)")
    return path


HAS_SPARK = importlib.util.find_spec("pyspark") is not None
#: The engine matrix, as Splink tests every dialect: DuckDB always, Spark marked `spark`.
ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


@pytest.fixture(scope="session")
def spark_engine() -> Iterator[SqlEngine]:
    """One local Spark for the whole run (it takes many seconds to start); engines that hogo
    opens meanwhile (a release's) use this session and leave it running."""
    if not HAS_SPARK:
        pytest.skip("pyspark がないため Spark のテストを省略 / pyspark not installed (optional extra)")
    engine = get_engine("spark")
    yield engine
    engine.close()


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[SqlEngine]:
    """One data engine per backend (parametrise with ``indirect=["engine"]`` to pick some)."""
    if request.param == "spark":
        yield request.getfixturevalue("spark_engine")
        return
    with get_engine(request.param) as e:
        yield e


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The data engine hogo opens itself (HOGO_ENGINE), per backend; Spark already started."""
    if request.param == "spark":
        request.getfixturevalue("spark_engine")
    monkeypatch.setenv("HOGO_ENGINE", request.param)
    return str(request.param)
