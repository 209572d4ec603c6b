"""Shared rendering for CLI commands: JSON for machines, Rich for people, errors without data."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
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


class Stages:
    """A long job's stages as people see them (`hogo release run`, profile and segment runs): a
    spinner with the stage it is at, the rows done in it and rows per second, and, when a stage
    ends, a line with its time and rate that stays.

    Called as the job's step: ``say(text)`` enters a stage, ``say(text, rows=n)`` says ``n`` rows
    of it are done. Shows nothing when ``quiet`` (``--json``)."""

    def __init__(self, bar: Progress, quiet: bool) -> None:
        self._bar, self._quiet = bar, quiet
        self._task = bar.add_task("準備中 / preparing", total=None, rows="")
        self._text: str | None = None
        self._rows: int | None = None
        self._began = time.perf_counter()

    def __call__(self, text: str, /, rows: int | None = None) -> None:
        if text != self._text:
            self.close()
            self._text, self._rows, self._began = text, None, time.perf_counter()
            self._bar.reset(self._task, description=text, rows="")
        if rows is not None:
            self._rows = rows
            self._bar.update(self._task, rows=self._rate(time.perf_counter() - self._began))

    def close(self) -> None:
        """End the stage shown: its line stays above the spinner."""
        if self._text is None or self._quiet:
            return
        seconds = time.perf_counter() - self._began
        self._bar.console.print(f"  [green]✓[/] {self._text}  {seconds:.1f} 秒 / s  {self._rate(seconds)}")
        self._text = None

    def _rate(self, seconds: float) -> str:
        if self._rows is None:
            return ""
        per_second = f"{self._rows / seconds:,.0f}" if seconds > 0 else "-"
        return f"{self._rows:,} 行 / rows ({per_second} 行/秒 / rows/s)"


@contextmanager
def steps(quiet: bool = False) -> Iterator[Stages]:
    """The stages of a long job shown while it runs (`Stages`); nothing when ``quiet``."""
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn("{task.fields[rows]}"),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console, disable=quiet, transient=True) as bar:
        stages = Stages(bar, quiet)
        yield stages
        stages.close()  # only a job that finished shows its last stage as done
