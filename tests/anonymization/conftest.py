"""Adult data (read from ../shared, never copied) and small seeded tables built in code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hogo.anonymization.spec import QISpec
from hogo.engines import SqlEngine, get_engine

ADULT = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "adult"
ADULT_QIS = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass", "occupation"]


@pytest.fixture
def adult_dir() -> Path:
    if not (ADULT / "adult.csv").is_file():
        pytest.skip(f"Adult データがありません（{ADULT}）/ Adult data not found beside the repository")
    return ADULT


def adult_qis(adult: Path, names: list[str]) -> list[QISpec]:
    return [QISpec(name=n, path=adult / f"adult_hierarchy_{n}.csv") for n in names]


@pytest.fixture
def engine() -> Iterator[SqlEngine]:
    with get_engine("duckdb") as e:
        yield e


@pytest.fixture
def adult(engine: SqlEngine, adult_dir: Path) -> str:
    return engine.register_file("adult", adult_dir / "adult.csv", delimiter=";")
