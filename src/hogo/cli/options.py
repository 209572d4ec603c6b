"""Options several commands share, declared once so their names and help stay the same."""

from __future__ import annotations

import typer

JSON = typer.Option(False, "--json", help="JSONで出力 / print JSON")
CSV_FILE = typer.Argument(..., help="CSV(UTF-8 / BOM付き / Shift_JIS)")
SKIP_BAD = typer.Option(False, "--skip-bad", help="誤りのある行を除いて取り込み、除いた行を別ファイルに書く")
REJECTS = typer.Option(None, help="--skip-bad で除いた行の出力先")
