"""`hogo tokenize`: the partner's command writes tokens only, and never the key."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.matching.keys import KeyKind, tokenize_table
from hogo.matching.tokens import ENV_VAR, load_key

RAW = "顧客番号,メールアドレス,電話番号\nC1,Taro@Example.JP,０９０－１２３４－５６７８\nC2,bad-address,+81 3 1234 5678\n"


def test_keygen_then_tokenize_cp932_file(tmp_path: Path) -> None:
    runner = CliRunner()
    key_path = tmp_path / "token.key"
    result = runner.invoke(app, ["tokenize", "keygen", str(key_path)])
    assert result.exit_code == 0, result.output
    secret_hex = key_path.read_text().strip()
    assert secret_hex not in result.output
    source = tmp_path / "customers.csv"
    source.write_bytes(RAW.encode("cp932"))
    out = tmp_path / "tokens.csv"
    args = ["tokenize", "run", str(source), "--out", str(out), "--email", "メールアドレス", "--phone", "電話番号",
            "--keep", "顧客番号", "--key-file", str(key_path), "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["encoding"] == "cp932"
    assert {f["field"]: f["invalid_rows"] for f in summary["fields"]} == {
        "メールアドレス": [3],
        "電話番号": [],
    }
    written = out.read_text(encoding="utf-8")
    for raw in ("Taro", "example", "bad-address", "+81", "０９０", "3 1234"):
        assert raw.lower() not in written.lower()
    assert secret_hex not in result.output
    tokens = pacsv.read_csv(out)
    assert tokens.column_names == ["row", "顧客番号", "メールアドレス_token", "電話番号_token"]
    # our side, tokenising the member's own canonical values, meets the partner's token
    ours, _ = tokenize_table(
        pacsv.read_csv(source, read_options=pacsv.ReadOptions(encoding="cp932")).select(
            ["メールアドレス", "電話番号"]
        ),
        load_key(key_path),
        {"メールアドレス": KeyKind.email, "電話番号": KeyKind.phone},
    )
    assert ours.column("電話番号_token").to_pylist() == tokens.column("電話番号_token").to_pylist()


def test_key_from_environment_and_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    source = tmp_path / "c.csv"
    source.write_text(RAW, encoding="utf-8")
    out = tmp_path / "t.parquet"
    monkeypatch.delenv(ENV_VAR, raising=False)
    result = runner.invoke(
        app, ["tokenize", "run", str(source), "--out", str(out), "--email", "メールアドレス"]
    )
    assert result.exit_code == 2 and ENV_VAR in result.output
    monkeypatch.setenv(ENV_VAR, "x" * 40)
    result = runner.invoke(
        app, ["tokenize", "run", str(source), "--out", str(out), "--email", "存在しない列"]
    )
    assert result.exit_code == 2 and "存在しない列" in result.output
    result = runner.invoke(
        app, ["tokenize", "run", str(source), "--out", str(out), "--email", "メールアドレス"]
    )
    assert result.exit_code == 0, result.output
    assert out.exists() and "x" * 40 not in result.output
