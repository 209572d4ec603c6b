"""docs/architecture.md's tree names the packages as they are: every package under src/hogo is
listed (and every subpackage of a package whose contents the tree spells out), and every folder
or module the tree lists exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "hogo"


def _tree() -> list[Path]:
    """The paths the tree lists, relative to src/hogo (nesting from the two-space indentation)."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("```\nsrc/hogo/\n", 1)[1].split("```", 1)[0]
    listed: list[Path] = []
    parents: list[Path] = []
    for line in block.splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2 - 1
        names = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0].split()
        parents = parents[:depth]
        base = parents[-1] if parents else Path()
        for name in names:
            listed.append(base / name.rstrip("/"))
        if names and names[-1].endswith("/"):
            parents.append(base / names[-1].rstrip("/"))
    return listed


def _packages(folder: Path) -> set[Path]:
    return {p.parent.relative_to(SRC) for p in folder.glob("*/__init__.py")}


def test_the_tree_parses_to_what_it_shows() -> None:
    listed = _tree()
    assert Path("domain") in listed
    assert Path("domain/incidents") in listed
    assert Path("http/deps.py") in listed


def test_every_listed_folder_and_module_exists() -> None:
    for path in _tree():
        target = SRC / path
        if path.suffix == ".py":
            assert target.is_file(), f"docs/architecture.md lists {path}, which does not exist"
        else:
            assert (target / "__init__.py").is_file(), f"docs/architecture.md lists {path}/, not a package"


def test_every_package_is_listed() -> None:
    listed = set(_tree())
    assert _packages(SRC) <= listed, f"not in docs/architecture.md: {sorted(_packages(SRC) - listed)}"
    for package in listed & _packages(SRC):
        expanded = {p for p in listed if p.parent == package}
        subpackages = _packages(SRC / package)
        if expanded:
            assert subpackages <= listed, f"not in docs/architecture.md: {sorted(subpackages - listed)}"
