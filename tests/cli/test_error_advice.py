"""Advice in messages names options that exist (issue 17 item 5).

`hogo release run` without a key once said to use `--key-file`, which that command does not have.
Every `--option` written in a message hogo shows — errors, parameter hints, printed next steps —
must be an option of some command, and a message that names its command (`hogo release run …
--x`) must name an option of that command.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from sqlalchemy import Engine
from typer.testing import CliRunner

from hogo.cli.app import app
from tests.release.world import build_world, personal_spec

SRC = Path(__file__).resolve().parents[2] / "src" / "hogo"
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
COMMAND = re.compile(r"hogo((?: [a-z][a-z-]*)+)")
#: Calls whose text reaches a person: errors, parameter hints, printed output.
SHOWN = re.compile(r"(Error|BadParameter|Conflict|NotFound|Forbidden|Exit|print|echo|secho)$")
#: Arguments of other programs hogo starts (pg_dump, pg_restore), not advice.
EXTERNAL = {"pg_dump", "pg_restore"}


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    # Typer vendors its own click, so commands are inspected by shape rather than by class.
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from _commands(command, (*path, name))


def _options(command: Any) -> set[str]:
    return {o for p in command.params for o in (*p.opts, *p.secondary_opts) if o.startswith("--")}


COMMANDS = dict(_commands(typer.main.get_command(app)))
ALL_OPTIONS = {o for c in COMMANDS.values() for o in _options(c)} | {"--help"}


def _texts(node: ast.AST) -> Iterator[str]:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub.value


def _shown_texts() -> Iterator[tuple[str, int, str]]:
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else func.id
                if isinstance(func, ast.Name)
                else ""
            )
            if not SHOWN.search(name):
                continue
            args = [*call.args, *(k.value for k in call.keywords)]
            if any(t in EXTERNAL for a in args for t in _texts(a)):
                continue
            for arg in args:
                text = "".join(_texts(arg))
                if OPTION.search(text):
                    yield f"{path.relative_to(SRC)}:{call.lineno}", call.lineno, text


def test_the_scan_finds_the_messages_it_checks() -> None:
    found = list(_shown_texts())
    assert len(found) >= 5, found  # the scan itself works (hints with --json, --qi, --format …)


def test_every_option_named_in_a_message_exists() -> None:
    wrong: list[str] = []
    for where, _, text in _shown_texts():
        named = COMMAND.search(text)
        for option in OPTION.findall(text):
            if option not in ALL_OPTIONS:
                wrong.append(f"{where}: {option} is no option of any command")
                continue
            if named:
                words = tuple(named.group(1).split())
                # the longest prefix that is a command (`hogo release run SPEC --x` → release run)
                for n in range(len(words), 0, -1):
                    if words[:n] in COMMANDS:
                        command = COMMANDS[words[:n]]
                        if not hasattr(command, "commands") and option not in _options(command):
                            wrong.append(f"{where}: {option} is no option of hogo {' '.join(words[:n])}")
                        break
    assert not wrong, "\n".join(wrong)


def test_release_run_without_a_key_advises_what_release_run_takes(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reported case: `hogo release run` has no --key-file; the key comes from the spec or env."""
    monkeypatch.delenv("HOGO_TOKEN_KEY", raising=False)
    monkeypatch.setenv("HOGO_DATABASE_URL", str(sqlite_engine.url))
    build_world(sqlite_engine, tmp_path)
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(personal_spec("nokey"), allow_unicode=True), "utf-8")
    result = CliRunner().invoke(app, ["release", "run", str(tmp_path / "spec.yaml")])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert "match.token_key_file" in text and "HOGO_TOKEN_KEY" in text
    assert set(OPTION.findall(text)) <= _options(COMMANDS[("release", "run")]), text
