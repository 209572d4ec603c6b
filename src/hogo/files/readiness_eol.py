"""End-of-life data on disk: the bundled catalogue, and newer endoflife.date exports loaded offline.

hogo must work without internet access, so EOL data is a file. The bundled file ships with the
package; `hogo readiness eol import` adds or replaces products in an overlay file under the data
directory, which is merged over the bundled one every time the catalogue is loaded.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from hogo.domain.readiness.eol import EolCatalogue
from hogo.domain.readiness.eol_formats import EolFormatError, parse_export
from hogo.errors import InputError
from hogo.files.atomic import atomic_text
from hogo.files.yaml_document import load_user_yaml

OVERLAY = Path("readiness") / "eol.json"


def bundled_catalogue() -> EolCatalogue:
    text = resources.files("hogo.domain.readiness").joinpath("data/eol.json").read_text(encoding="utf-8")
    return parse_export(json.loads(text))


def overlay_path(data_dir: Path) -> Path:
    return data_dir / OVERLAY


def load_catalogue(data_dir: Path) -> EolCatalogue:
    """The bundled catalogue with the imported overlay merged over it."""
    base = bundled_catalogue()
    path = overlay_path(data_dir)
    return base.merged(_read_overlay(path)) if path.exists() else base


def _read_overlay(path: Path) -> EolCatalogue:
    try:
        return parse_export(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:  # EolFormatError and JSONDecodeError are ValueErrors
        raise InputError(
            f"取り込み済みの EOL データを読めません({path}): 削除して eol import をやり直してください",
            f"cannot read the imported EOL data ({path}): delete it and run eol import again",
        ) from exc


def _decode(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        raise InputError(
            "ファイルを読めません(UTF-8)", "cannot read the file (UTF-8)", field=path.name
        ) from None
    try:
        if path.suffix.casefold() == ".json":
            return json.loads(text)
        if path.suffix.casefold() == ".md":  # a product page: YAML front matter between '---' lines
            parts = text.split("\n---", 1)
            if not text.startswith("---") or len(parts) < 2:
                raise InputError("先頭に YAML front matter がありません", "no front matter", field=path.name)
            return load_user_yaml(parts[0][3:], path.name)
        return load_user_yaml(text, path.name)
    except json.JSONDecodeError:
        raise InputError("JSON/YAML として読めません", "not valid JSON or YAML", field=path.name) from None


def parse_file(path: Path, product: str | None = None) -> EolCatalogue:
    """Read one export; a v0 API file is named after its product (`fortios.json`) unless given."""
    data = _decode(path)
    try:
        return parse_export(data, product or path.stem.casefold(), source=f"import: {path.name}")
    except EolFormatError as exc:
        raise InputError(f"endoflife.date の形式ではありません: {exc.what}",
                         f"not an endoflife.date export: {exc.what}", field=exc.where) from None  # fmt: skip


def import_file(path: Path, data_dir: Path, product: str | None = None) -> EolCatalogue:
    """Merge the export into the overlay and write it atomically; returns what was imported."""
    imported = parse_file(path, product)
    target = overlay_path(data_dir)
    current = _read_overlay(target) if target.exists() else EolCatalogue()
    merged = current.merged(imported)
    with atomic_text(target) as handle:
        handle.write(json.dumps(merged.model_dump(mode="json"), ensure_ascii=False, indent=1))
    return imported
