"""docs/releases.md stays true: its examples run, its path table is what the API does, and every
key of the spec is documented (issue 17 item 8)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from pydantic import BaseModel
from sqlalchemy import Engine

from hogo.anonymization.spec import AnonymizationSpec
from hogo.config import Settings
from hogo.errors import InputError
from hogo.files.confine import inside
from hogo.matching.inputs import InputSpec
from hogo.release.aggregate import AggregateSpec
from hogo.release.spec import MatchSpec, OutputSpec, ReleaseSpec, load_spec
from hogo.services import releases as service
from tests.api.env import SECRET
from tests.release.world import TOKEN_KEY, build_world

DOC = Path(__file__).resolve().parents[2] / "docs" / "releases.md"
TEXT = DOC.read_text(encoding="utf-8")
EXAMPLES = re.findall(r"<!-- example: (cli|api) -->\n```(?:yaml|json)\n(.*?)```", TEXT, re.S)


@pytest.fixture()
def world(sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Path]:
    monkeypatch.delenv("HOGO_TOKEN_KEY", raising=False)
    monkeypatch.setenv("HOGO_RELEASE_DIR", str(tmp_path / "releases"))
    build_world(sqlite_engine, tmp_path)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "token.key").write_text(TOKEN_KEY, encoding="utf-8")
    return sqlite_engine, tmp_path


def test_there_is_an_example_per_mode() -> None:
    modes = sorted(yaml.safe_load(body)["mode"] for _, body in EXAMPLES)
    assert modes == ["aggregate", "anonymized", "personal"]
    assert {kind for kind, _ in EXAMPLES} == {"cli", "api"}


@pytest.mark.parametrize(("kind", "body"), EXAMPLES, ids=[yaml.safe_load(b)["mode"] for _, b in EXAMPLES])
def test_documented_examples_run(
    world: tuple[Engine, Path], monkeypatch: pytest.MonkeyPatch, kind: str, body: str
) -> None:
    store, folder = world
    if kind == "cli":
        (folder / "spec.yaml").write_text(body, encoding="utf-8")
        spec = load_spec(folder / "spec.yaml")
    else:
        monkeypatch.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
        settings = Settings(secret_key=SECRET, input_dir=folder, release_dir=folder / "releases")
        spec = service.submitted_spec(json.loads(body), settings)
    result = service.run_now(store, spec)
    assert result.counts["allowed"] > 0
    files = sorted(p.name for p in result.directory.iterdir())
    if spec.mode.value == "personal":
        assert files == ["manifest.json", "release.csv"]
    elif spec.mode.value == "aggregate":
        assert result.directory == (folder / "releases" / "2024" / "06" / result.release_id).resolve()
        cells = pq.read_table(result.directory / "aggregate.parquet").to_pylist()
        shown = [c["count"] for c in cells if c["count"] is not None]
        assert shown and min(shown) >= 10
    else:
        assert "anonymized.parquet" in files and result.manifest["anonymization"]["k_achieved"] >= 5


def _path_rows() -> list[tuple[str, str | None, bool]]:
    table = TEXT.split("<!-- paths -->", 1)[1].strip().split("\n\n", 1)[0]
    rows = []
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = re.match(r"`([^`]+)`", cells[0])
        link = re.search(r"symlink to `([^`]+)`", cells[0])
        assert name, line
        rows.append((name.group(1), link.group(1) if link else None, cells[1].startswith("accepted")))
    return rows


@pytest.mark.parametrize(("name", "link", "accepted"), _path_rows())
def test_documented_path_rules_hold(tmp_path: Path, name: str, link: str | None, accepted: bool) -> None:
    """The table is replayed with the data folder in a temporary place (`/srv/hogo/inputs` → tmp)."""
    root = tmp_path / "srv" / "hogo" / "inputs"
    (root / "crm" / "2024-06").mkdir(parents=True)
    for inside_file in ("members.csv", "crm/2024-06/members.csv"):
        (root / inside_file).write_text("member_id\n", encoding="utf-8")
    (tmp_path / "srv" / "hogo" / "hogo.db").write_text("", encoding="utf-8")
    outside = tmp_path / "home" / "someone" / "members.csv"
    outside.parent.mkdir(parents=True)
    outside.write_text("member_id\n", encoding="utf-8")
    if link is not None:
        target = tmp_path / link.lstrip("/") if link.startswith("/") else root / link
        (root / name).symlink_to(target)
    name = name.replace("/srv/hogo/inputs", str(root))
    if accepted:
        assert inside(root, name, "members.path", must_exist=True).is_relative_to(root.resolve())
    else:
        with pytest.raises(InputError):
            inside(root, name, "members.path", must_exist=True)


def _keys(model: type[BaseModel]) -> set[str]:
    return set(model.model_fields)


@pytest.mark.parametrize(
    ("model", "prefix"),
    [
        (ReleaseSpec, ""),
        (MatchSpec, "match."),
        (OutputSpec, "output."),
        (InputSpec, ""),
        (AggregateSpec, ""),
        (AnonymizationSpec, ""),
    ],
)
def test_every_key_is_documented(model: type[BaseModel], prefix: str) -> None:
    documented = set(re.findall(r"`([a-z_.]+)`", TEXT))
    set_by_hogo = (
        {"id_column", "id_mode", "business_name", "recipient"} if model is AnonymizationSpec else set()
    )
    missing = {f"{prefix}{k}" for k in _keys(model) - set_by_hogo} - documented
    if model is ReleaseSpec:
        missing -= {"match", "output"}  # documented key by key
    assert not missing, missing
