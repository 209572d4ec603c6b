"""A release spec sent over the API reaches only the data folder and writes only below the
releases folder (issue 10 finding 1): /etc/passwd, `..`, absolute paths, symlinks leading out and
an output folder inside the served static folder are refused with one text that names no path and
does not tell whether the path exists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hogo.auth.roles import Role
from hogo.errors import InputError
from hogo.files.confine import SERVED_FOLDERS
from hogo.services import releases as service
from tests.api.env import Env, client
from tests.release.world import TOKEN_KEY, anonymized_spec, personal_spec, release_env

GENERIC_EN = "this path cannot be used: name a file inside the data folder by a relative path."


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Env, Path]]:
    mp = pytest.MonkeyPatch()
    mp.setenv("HOGO_TOKEN_KEY", TOKEN_KEY)
    top = Path(tmp_path_factory.mktemp("release-paths"))
    folder = top / "data"
    folder.mkdir()
    e = release_env(folder)
    # A file beside the data folder, and symlinks inside it leading out.
    (top / "outside.csv").write_text("member_id,email\nX1,secret@example.jp\n", encoding="utf-8")
    (folder / "escape.csv").symlink_to(top / "outside.csv")
    (folder / "escape-dir").symlink_to(top)
    dataset = folder / "dataset"
    dataset.mkdir()
    (dataset / "part-0.csv").symlink_to(top / "outside.csv")
    (folder / "inside-link.csv").symlink_to(folder / "members.csv")
    yield e, folder
    e.db.dispose()
    mp.undo()


@pytest.fixture()
def api(world: tuple[Env, Path]) -> Iterator[TestClient]:
    with client(world[0]) as c:
        yield c


def _post(api: TestClient, env: Env, spec: dict[str, Any]) -> Any:
    return api.post("/api/v1/releases", json=spec, headers=env.headers(Role.privacy_officer))


def _with(spec: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """``spec`` with the dotted ``key`` set (sections created as needed)."""
    out: dict[str, Any] = {**spec}
    parts = key.split(".")
    node = out
    for part in parts[:-1]:
        node[part] = dict(node.get(part) or {})
        node = node[part]
    node[parts[-1]] = value
    return out


def _refused(r: Any, field: str) -> None:
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["field"] == field
    assert error["message_en"] == f"field {field}: {GENERIC_EN}"
    # Nothing about the server's files: no path, no "not found".
    for text in (error["message_ja"], error["message_en"]):
        assert "/" not in text and "passwd" not in text and "found" not in text and "outside" not in text


BAD_INPUTS = [
    "/etc/passwd",
    "../outside.csv",
    "escape.csv",  # symlink inside the data folder leading out
    "escape-dir/outside.csv",  # through a symlinked folder
    "dataset",  # a folder holding a symlink that leads out
    "sub/../../outside.csv",
    "~/outside.csv",
    "no-such-file.csv",  # same text as the others: existence is not revealed
]


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_members_path_outside_the_data_folder_is_refused(
    api: TestClient, world: tuple[Env, Path], name: str
) -> None:
    env, _ = world
    spec = _with(personal_spec(f"bad-{abs(hash(name))}"), "members.path", name)
    spec["members"]["delimiter"] = ":"
    _refused(_post(api, env, spec), "members.path")


def test_an_absolute_path_is_refused_even_inside_the_data_folder(
    api: TestClient, world: tuple[Env, Path]
) -> None:
    env, folder = world
    spec = _with(personal_spec("abs-inside"), "members.path", str(folder / "members.csv"))
    _refused(_post(api, env, spec), "members.path")


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("partner.path", "partner.path"),
        ("consent_snapshot", "consent_snapshot"),
        ("match.token_key_file", "match.token_key_file"),
    ],
)
def test_every_input_path_key_is_confined(
    api: TestClient, world: tuple[Env, Path], key: str, field: str
) -> None:
    env, _ = world
    for name in ("/etc/passwd", "../outside.csv", "escape.csv"):
        _refused(_post(api, env, _with(personal_spec("keys"), key, name)), field)


def test_hierarchy_files_are_confined(api: TestClient, world: tuple[Env, Path]) -> None:
    env, _ = world
    spec = anonymized_spec("hier")
    spec["anonymization"] = {**spec["anonymization"], "quasi_identifiers": {"prefecture": "/etc/passwd"}}
    _refused(_post(api, env, spec), "anonymization.quasi_identifiers[0].path")
    listed = [{"name": "prefecture", "kind": "arx", "path": "../outside.csv"}]
    spec["anonymization"] = {**spec["anonymization"], "quasi_identifiers": listed}
    _refused(_post(api, env, spec), "anonymization.quasi_identifiers[0].path")


@pytest.mark.parametrize("out", [str(SERVED_FOLDERS[0]), "../static", "/tmp", "../../x"])
def test_output_outside_the_releases_folder_is_refused(
    api: TestClient, world: tuple[Env, Path], out: str
) -> None:
    env, _ = world
    _refused(_post(api, env, _with(personal_spec("out-bad"), "output.dir", out)), "output.dir")


def test_refused_specs_leave_no_release_behind(api: TestClient, world: tuple[Env, Path]) -> None:
    env, _ = world
    _post(api, env, _with(personal_spec("left-none"), "members.path", "/etc/passwd"))
    listed = api.get("/api/v1/releases", headers=env.headers(Role.auditor)).json()["items"]
    assert "left-none" not in [i["release_id"] for i in listed]


def test_relative_paths_inside_the_folders_work(api: TestClient, world: tuple[Env, Path]) -> None:
    env, folder = world
    spec = _with(personal_spec("good-rel"), "members.path", "inside-link.csv")  # a symlink staying inside
    spec["output"] = {"dir": "2024/06", "items": {"purchase_total": "contact"}}
    r = _post(api, env, spec)
    assert r.status_code == 202, r.text
    info = service.wait_for(env.db, "good-rel")
    assert info.status == "done", info.error
    assert Path(info.directory) == (folder / "releases" / "2024" / "06" / "good-rel").resolve()
    # Without output.dir the release lands directly in the releases folder.
    spec = {k: v for k, v in personal_spec("good-default").items() if k != "output"}
    spec["output"] = {"items": {"purchase_total": "contact"}}
    assert _post(api, env, spec).status_code == 202
    info = service.wait_for(env.db, "good-default")
    assert info.status == "done" and Path(info.directory) == (folder / "releases" / "good-default").resolve()


def test_settings_refuse_folders_inside_the_served_folder(tmp_path: Path) -> None:
    from pydantic import ValidationError

    from hogo.config import Settings

    static = SERVED_FOLDERS[0]
    with pytest.raises(ValidationError, match="HOGO_RELEASE_DIR"):
        Settings(release_dir=static / "releases")
    with pytest.raises(ValidationError, match="HOGO_DATA_DIR"):
        Settings(data_dir=static)
    with pytest.raises(ValidationError, match="HOGO_RELEASE_DIR"):  # through a symlink too
        (tmp_path / "looks-private").symlink_to(static)
        Settings(release_dir=tmp_path / "looks-private")
    settings = Settings(data_dir=tmp_path)
    assert settings.inputs_root == tmp_path / "inputs" and settings.releases_root == tmp_path / "releases"


@pytest.mark.parametrize("value", [["/etc/passwd"], {"path": "/etc/passwd"}, 7])
def test_a_path_that_is_not_text_is_refused_the_same_way(
    api: TestClient, world: tuple[Env, Path], value: Any
) -> None:
    env, _ = world
    _refused(_post(api, env, _with(personal_spec("not-text"), "members.path", value)), "members.path")
    _refused(_post(api, env, _with(personal_spec("not-text"), "output.dir", value)), "output.dir")


def test_a_duckdb_input_cannot_read_other_files_through_a_view(
    api: TestClient, world: tuple[Env, Path]
) -> None:
    """A DuckDB file inside the data folder is still only its own tables: a view reading another file
    of the server is not followed."""
    import duckdb

    env, folder = world
    outside = folder.parent / "outside.csv"
    con = duckdb.connect(str(folder / "sneaky.duckdb"))
    con.execute(f"CREATE VIEW members AS SELECT * FROM read_csv('{outside}', header=true, all_varchar=true)")
    con.close()
    spec = anonymized_spec("view-escape")
    spec["members"] = {"path": "sneaky.duckdb", "table": "members", "columns": {"member_id": "member_id"}}
    spec["anonymization"] = {"quasi_identifiers": {"member_id": "mask"}, "k": 1}
    r = _post(api, env, spec)
    assert r.status_code == 202, r.text
    info = service.wait_for(env.db, "view-escape")
    assert info.status == "failed" and info.error is not None
    assert "secret@example.jp" not in info.error and "outside" not in info.error and "/" not in info.error
    from hogo.matching.inputs import InputSpec, read_input

    with pytest.raises(InputError):  # before the fix this returned the outside file's rows
        read_input(
            InputSpec(path=folder / "sneaky.duckdb", table="members", columns={"member_id": "member_id"})
        )


def test_no_writer_of_hogo_lands_in_the_served_folder(tmp_path: Path) -> None:
    """Every file hogo writes goes through the atomic writer or the engine's Parquet writer; both
    refuse the folder the server publishes (reached directly or through a symlink)."""
    import pyarrow as pa

    from hogo.engines import get_engine
    from hogo.files.atomic import atomic_text

    (tmp_path / "public").symlink_to(SERVED_FOLDERS[0])
    for target in (SERVED_FOLDERS[0] / "leak.csv", tmp_path / "public" / "leak.csv"):
        with pytest.raises(InputError), atomic_text(target) as fh:
            fh.write("x")
        with get_engine("duckdb") as eng, pytest.raises(InputError):
            eng.write_parquet(pa.table({"a": [1]}), target.with_suffix(".parquet"))
    assert not list(SERVED_FOLDERS[0].glob("leak*")) and not list(SERVED_FOLDERS[0].glob(".leak*"))
    with atomic_text(tmp_path / "fine.txt") as fh:
        fh.write("ok")
    assert (tmp_path / "fine.txt").read_text() == "ok"
