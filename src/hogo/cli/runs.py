"""`hogo release run` and `hogo profile run` alike: read the spec file, run it in the foreground
with its steps shown, and print the manifest for `--json` or the folder it wrote for people."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from hogo.cli.context import opened
from hogo.cli.output import console, print_json, steps, user_errors


class Recorded(Protocol):
    """What a run that was recorded gives back (`RecordedRelease`, `RecordedRun`)."""

    @property
    def directory(self) -> Path: ...

    @property
    def counts(self) -> dict[str, int]: ...

    @property
    def manifest(self) -> dict[str, Any]: ...


Spec = TypeVar("Spec")
Run = TypeVar("Run", bound=Recorded)


def run_spec_file(
    spec_file: Path,
    load: Callable[[Path], Spec],
    run: Callable[..., Run],
    as_json: bool,
    made: str,
) -> Run | None:
    """Run `load(spec_file)` through `run(db, spec, step=…)`; with `--json` print the manifest and
    give None, otherwise say `made` and the folder and give the run for its figures."""
    with user_errors():
        spec = load(spec_file)
        with opened() as db, steps(as_json) as say:
            result = run(db, spec, step=say)
    if as_json:
        print_json(result.manifest)
        return None
    console.print(f"[green]{made}[/]: {result.directory}")
    return result
