"""Options several commands share, declared once so their names and help stay the same."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import typer
from pydantic import BaseModel, TypeAdapter, ValidationError

from hogo.domain.consent import PurposeRef
from hogo.domain.ids import Identifier, RecordId
from hogo.errors import InputError
from hogo.files.csv_headers import HeaderStyle

M = TypeVar("M", bound=BaseModel)

JSON = typer.Option(False, "--json", help="JSONで出力 / print JSON")
#: A board or list shown as it stood at a moment (`cli.context.parse_at` reads it).
VIEW_AT = typer.Option(None, "--at", help="この時点で表示(省略時は現在)")
CSV_FILE = typer.Argument(..., help="CSV(UTF-8 / BOM付き / Shift_JIS)")
SKIP_BAD = typer.Option(False, "--skip-bad", help="誤りのある行を除いて取り込み、除いた行を別ファイルに書く")
REJECTS = typer.Option(None, help="--skip-bad で除いた行の出力先")
REJECT_HEADERS = typer.Option(
    HeaderStyle.ja,
    "--headers",
    help="除いた行のファイルの見出し: ja(日本語)/ machine(列名)。どちらも再取込できます",
)


def _id_check(kind: Any, label: str) -> Callable[[str | None], str | None]:
    """A Typer callback holding a command-line id to the domain's id alphabet (hogo.domain.ids)."""
    adapter: TypeAdapter[str] = TypeAdapter(kind)

    def check(value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return adapter.validate_python(value)
        except ValidationError as exc:
            problem = exc.errors(include_url=False, include_input=False)[0]["msg"]
            raise typer.BadParameter(f"{label}: {problem}") from None

    return check


#: Callbacks for id options: an id outside the alphabet stops the command, value not repeated.
SUBJECT_ID = _id_check(RecordId, "本人ID / subject id")
EVENT_ID = _id_check(RecordId, "事象ID / event id")
PURPOSE_ID = _id_check(PurposeRef, "利用目的ID / purpose id")
NAME_ID = _id_check(Identifier, "ID")


def from_options(model: type[M], given: Mapping[str, object], options: Mapping[str, str] = {}) -> M:
    """The model built from a command's options; a value it refuses is an input error naming the
    option (`options`: field → option where they differ), never the value: a guardian's name or
    an e-mail address is personal data, and pydantic's own error quotes it in a traceback."""
    try:
        return model.model_validate(given)
    except ValidationError as exc:
        problem = exc.errors(include_url=False, include_input=False)[0]
        ja, _, en = problem["msg"].removeprefix("Value error, ").partition(" / ")
        name = str(problem["loc"][0]) if problem["loc"] else None
        option = options.get(name, "--" + name.replace("_", "-")) if name else None
        raise InputError(ja, en or ja, field=option) from None
