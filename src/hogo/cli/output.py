"""Shared rendering for CLI commands: JSON for machines, Rich for people, errors without data."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from hogo.errors import HogoError
from hogo.services.database import busy_is_store_busy

console = Console()
err_console = Console(stderr=True)


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value


def print_json(value: Any) -> None:
    """One JSON document on stdout, nothing else (so `--json` output can be piped)."""
    sys.stdout.write(json.dumps(to_jsonable(value), ensure_ascii=False, indent=2, default=str) + "\n")


@contextmanager
def user_errors(as_json: bool = False) -> Iterator[None]:
    """Turn a HogoError into a clear message on stderr and exit status 2.

    With `as_json` the error is also the JSON document on stdout, in the API's error format
    (`{"error": {"code", "message_ja", "message_en", "field", "row"}}`), so a script that pipes
    `--json` output always gets JSON and tells an input error from an answer by the exit status.
    """
    try:
        with busy_is_store_busy():
            yield
    except HogoError as exc:
        err_console.print(f"[bold red]エラー[/]: {exc.ja}")
        if exc.en != exc.ja:
            err_console.print(f"[dim]error: {exc.en}[/]")
        if as_json:
            body = {"code": exc.code, "message_ja": exc.ja, "message_en": exc.en}
            print_json(
                {"error": {**body, "field": getattr(exc, "field", None), "row": getattr(exc, "row", None)}}
            )
        raise typer.Exit(2) from None


@contextmanager
def steps(quiet: bool = False) -> Iterator[Callable[[str], None]]:
    """A spinner that shows the step a long job is at (``say(text)``); nothing when ``quiet``."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=quiet, transient=True) as bar:
        task = bar.add_task("準備中 / preparing", total=None)
        yield lambda text: bar.update(task, description=text)
