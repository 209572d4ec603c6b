"""docs/architecture.md's tree names the packages as they are: every package under src/hogo is
listed (and every subpackage of a package whose contents the tree spells out), and every folder
or module the tree lists exists; and the one transaction rule holds."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
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


def test_no_module_is_named_for_a_package_beside_it() -> None:
    """`x_y.py` next to a package `x/` belongs in it as `x/y.py` (issue 12: one place per name)."""
    stray = [
        str(module.relative_to(SRC))
        for module in SRC.rglob("[!_]*_*.py")
        if (module.parent / module.stem.split("_", 1)[0] / "__init__.py").is_file()
    ]
    assert stray == [], f"move into the package of their prefix: {stray}"


# --- one transaction rule (docs/architecture.md) -------------------------------------------------

#: Where a transaction may be begun, committed or rolled back. Everything else works inside a unit
#: of work opened by `read_scope`/`write_scope` (or undoes a part of it with `savepoint`).
TRANSACTION_MODULES = {
    "store/database.py": "the units of work themselves",
    "services/consent_import.py": "the bulk import stages on its own connection and commits each step",
}
#: Calls that look like transaction control but are not (an import job's own `commit()`).
NOT_TRANSACTIONS = {
    ("cli/consent.py", "job.commit"),
    # the read-only COPY connection (ADBC) that shares the reading transaction's snapshot: it ends
    # its own read with a rollback and never writes (`hogo.store.export.batch_reader`)
    ("store/export.py", "copy.rollback"),
}
_CONTROL = {"commit", "rollback", "begin", "begin_nested", "sessionmaker"}


def _transaction_control(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) for each call that controls a transaction, or opens a session or transaction
    by hand (`Session(...)`, a `BEGIN` statement)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name in _CONTROL or name in ("Session", "session_factory"):
            yield node.lineno, ast.unparse(func)
        for arg in node.args:
            if (
                isinstance(arg, ast.Constant)
                and isinstance(arg.value, str)
                and arg.value.upper().startswith("BEGIN")
            ):
                yield node.lineno, f"{ast.unparse(func)}({arg.value!r})"


def _sources() -> Iterator[tuple[str, ast.AST]]:
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if not relative.startswith("store/migrations/"):  # Alembic runs each in its own transaction
            yield relative, ast.parse(path.read_text(encoding="utf-8"))


def test_only_the_units_of_work_control_transactions() -> None:
    found = [
        f"{module}:{line} {what}"
        for module, tree in _sources()
        if module not in TRANSACTION_MODULES
        for line, what in _transaction_control(tree)
        if (module, what) not in NOT_TRANSACTIONS
    ]
    assert not found, (
        "open units of work with hogo.services.database.read_scope/write_scope (and undo a part with "
        f"savepoint); services never begin, commit or roll back: {found}"
    )


def test_the_check_sees_transaction_control() -> None:
    tree = ast.parse(
        "s.commit()\nconn.rollback()\nwith s.begin_nested(): pass\nconn.exec_driver_sql('BEGIN IMMEDIATE')"
    )
    assert sorted(line for line, _ in _transaction_control(tree)) == [1, 2, 3, 4]


def test_no_deferred_session_scope_comes_back() -> None:
    """Units of work are read or write scopes; the deferred `session_scope` is gone for good."""
    users = {
        module
        for module, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and any(a.name == "session_scope" for a in node.names)
    }
    assert not users, f"use read_scope or write_scope instead of session_scope: {users}"
