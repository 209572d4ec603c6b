"""`hogo readiness …` end to end on a temporary SQLite store."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.domain.readiness.assessment import assess_readiness
from hogo.files.readiness_eol import bundled_catalogue
from hogo.files.readiness_inventory import read_inventory_file

DATA = Path(__file__).parent / "data" / "inventory.yaml"
Run = Callable[..., Any]


@pytest.fixture()
def hogo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    monkeypatch.setenv("HOGO_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("HOGO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, code: int = 0, as_json: bool = False) -> Any:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (result.exit_code, result.output, result.exception)
        return json.loads(result.stdout) if as_json else result

    return run


def test_import_assess_history(hogo: Run) -> None:
    assert hogo("readiness", "import", str(DATA), "--json", as_json=True) == {
        "assets": 5,
        "backups": 2,
        "answers": 3,
    }
    first = hogo("readiness", "assess", "--on", "2026-11-27", "--json", as_json=True)
    assert first["score"]["grade"] == "D" and first["recorded_id"] == 1
    failed = {(f["check_id"], f["subject"]) for f in first["findings"] if not f["passed"]}
    assert ("access.exposed_without_mfa", "vpn-1") in failed and (
        "eol.vendor_discontinued",
        "router-branch",
    ) in failed
    assert all(f["fix_ja"] and f["reference"] for f in first["findings"])
    hogo("readiness", "answer", "q.incident.no_ransom", "yes")
    second = hogo("readiness", "assess", "--on", "2026-11-28", "--json", as_json=True)
    assert second["score"]["value"] > first["score"]["value"]
    history = hogo("readiness", "history", "--json", as_json=True)
    assert [p["score"] for p in history["points"]] == [first["score"]["value"], second["score"]["value"]]
    assert history["change"] == second["score"]["value"] - first["score"]["value"]
    assert hogo("ledger", "verify", "--json", as_json=True)["ok"]
    hogo("readiness", "assess", "--no-record", "--fail-on", "critical", code=1)
    assert "多要素認証なし" in hogo("readiness", "assess", "--no-record").stdout


def test_assess_from_file_without_store(hogo: Run, tmp_path: Path) -> None:
    result = hogo("readiness", "assess", "--from", str(DATA), "--on", "2026-11-27", "--json", as_json=True)
    inventory, answers = read_inventory_file(DATA)
    expected = assess_readiness(inventory, bundled_catalogue(), date(2026, 11, 27), answers).score
    assert result["recorded_id"] is None and result["score"] == expected.model_dump(mode="json")
    assert not (tmp_path / "cli.db").exists()


def test_bad_csv_stores_nothing(hogo: Run, tmp_path: Path) -> None:
    good = tmp_path / "ok.csv"
    good.write_text("id,kind\npc-1,pc\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_bytes("ID,種別,製造日\nr-1,router,2016/13/01\n".encode("cp932"))
    result = hogo("readiness", "import", str(good), str(bad), code=2)
    assert "2行目" in result.output and "manufactured_on" in result.output
    assert hogo("readiness", "list", "--json", as_json=True)["inventory"]["assets"] == []


def test_report_html(hogo: Run, tmp_path: Path) -> None:
    hogo("readiness", "import", str(DATA))
    hogo("readiness", "assess")
    out = tmp_path / "report.html"
    hogo("readiness", "report", "--out", str(out), "--org", "サンプル商事")
    html = out.read_text(encoding="utf-8")
    assert "サンプル商事" in html and "スコアの推移" in html
    hogo("readiness", "report", "--out", str(tmp_path / "report.docx"), code=2)


def test_eol_commands(hogo: Run, tmp_path: Path) -> None:
    listed = hogo("readiness", "eol", "list", "--json", as_json=True)
    assert "fortios" in {p["id"] for p in listed["products"]}
    export = tmp_path / "acme-vpn.json"
    export.write_text(json.dumps([{"cycle": "2", "eol": "2024-03-31", "latest": "2.9"}]), encoding="utf-8")
    assert hogo("readiness", "eol", "import", str(export), "--json", as_json=True) == [
        {"product": "acme-vpn", "releases": 1}
    ]
    shown = hogo("readiness", "eol", "show", "acme-vpn", "--json", as_json=True)
    assert shown["releases"][0]["eol"] == "2024-03-31"
    inventory = tmp_path / "inv.csv"
    inventory.write_text(
        "id,kind,vendor,version,eol_product\nv,vpn_gateway,Acme,2.1,acme-vpn\n", encoding="utf-8"
    )
    result = hogo("readiness", "assess", "--from", str(inventory), "--json", as_json=True)
    eol = next(f for f in result["findings"] if f["check_id"] == "eol.past_end_of_life")
    assert not eol["passed"]
    hogo("readiness", "eol", "show", "nothing", code=2)


def test_catalogue_commands(hogo: Run) -> None:
    checks = hogo("readiness", "checks", "--json", as_json=True)
    assert len({c["id"] for c in checks}) == len(checks) > 20
    questions = hogo("readiness", "questions", "--json", as_json=True)
    assert all(q["id"].startswith("q.") for q in questions)
    hogo("readiness", "answer", "q.nope", "yes", code=2)
