"""`hogo anonymize` on Adult with ARX hierarchies, from options and from a YAML spec."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from hogo.cli.app import app
from tests.anonymization.conftest import ADULT_QIS

runner = CliRunner()


def test_cli_prints_levels_metric_and_k(adult_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "adult.parquet"
    args = ["anonymize", str(adult_dir / "adult.csv"), "-d", ";", "--k", "5", "--suppression", "0.04"]
    args += [f"--qi={n}={adult_dir / f'adult_hierarchy_{n}.csv'}" for n in ADULT_QIS]
    args += ["--sensitive", "salary-class", "--l", "2", "--unusual", "none", "--out", str(out), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    manifest = json.loads(result.stdout)
    assert set(manifest["levels"]) == set(ADULT_QIS)
    assert manifest["k_achieved"] >= 5 and manifest["l_achieved"] >= 2
    assert manifest["metric"] == "loss" and 0 < manifest["metric_value"] < 1
    assert pq.read_table(out).num_rows == manifest["rows_out"]


def test_cli_yaml_spec_and_clear_error(adult_dir: Path, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    lines = ["quasi_identifiers:"] + [
        f"  {n}: {adult_dir / f'adult_hierarchy_{n}.csv'}" for n in ADULT_QIS[:4]
    ]
    lines += ["k: 10", "suppression: 0.02", "metric: precision", "keep: [salary-class]"]
    spec.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["anonymize", str(adult_dir / "adult.csv"), "-d", ";", "--spec", str(spec)])
    assert result.exit_code == 0, result.output
    assert "k = " in result.stdout and "precision" in result.stdout
    bad = runner.invoke(app, ["anonymize", str(adult_dir / "adult.csv"), "-d", ";", "--qi", "nope=x.csv"])
    assert bad.exit_code == 2
    assert "nope" in bad.output


def test_cli_names_both_entropy_figures(adult_dir: Path, tmp_path: Path) -> None:
    """A user comparing with ARX sees ARX's number, named, beside hogo's (item 15)."""
    names = ["age", "sex", "race"]
    args = ["anonymize", str(adult_dir / "adult.csv"), "-d", ";", "--k", "5", "--suppression", "0.02"]
    args += [f"--qi={n}={adult_dir / f'adult_hierarchy_{n}.csv'}" for n in names]
    args += ["--metric", "entropy", "--unusual", "none", "--out", str(tmp_path / "o.parquet")]
    shown = runner.invoke(app, [*args, "--json"])
    assert shown.exit_code == 0, shown.output
    figures = json.loads(shown.stdout)["metric_figures"]
    assert set(figures) == {"entropy", "entropy_arx"}
    text = runner.invoke(app, args).stdout
    assert "entropy_arx" in text and f"{figures['entropy_arx']:.6g}" in text
