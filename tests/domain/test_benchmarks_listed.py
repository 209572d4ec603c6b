"""README's benchmark table names every benchmark a user can run: a script there that nobody
can find is a figure nobody measures again."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_benchmark_script_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Benchmarks", 1)[1].split("\n## ", 1)[0]
    scripts = sorted(
        p.name for p in (ROOT / "benchmarks").glob("*.py") if "def main(" in p.read_text(encoding="utf-8")
    )
    assert scripts, "no benchmark scripts found"
    missing = [name for name in scripts if f"benchmarks/{name}" not in table]
    assert missing == [], f"add to README.md's Benchmarks table: {missing}"
