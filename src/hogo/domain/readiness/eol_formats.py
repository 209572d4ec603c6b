"""Read endoflife.date exports (already decoded from JSON or YAML) into an EolCatalogue.

Three shapes are in use: the v0 API (`/api/<product>.json`: a list of cycles with `cycle`,
`eol`, `latest`), the v1 API (`{"result": {...}}` or a list of products, releases with `name`,
`isEol`, `eolFrom`, `latest.name`) and the repository's product pages (front matter with
`releases: [{releaseCycle, eol, latest}]`). hogo's own bundled file is a fourth. Errors name the
release by position and the field, so a broken export is easy to fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError

from hogo.domain.readiness.eol import FORMAT, EolCatalogue, EolProduct, EolRelease


class EolFormatError(ValueError):
    """The export does not have a shape we know; `where` names the place (no values)."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where = where
        self.what = what


def _date_or_flag(value: Any, where: str) -> date | bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise EolFormatError(where, "not a date (YYYY-MM-DD) or true/false") from None
    if value is None:
        return False
    raise EolFormatError(where, "not a date (YYYY-MM-DD) or true/false")


def _opt_date(value: Any, where: str) -> date | None:
    if value in (None, "", False):
        return None
    result = _date_or_flag(value, where)
    return result if isinstance(result, date) else None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _release(raw: Any, where: str) -> EolRelease:
    if not isinstance(raw, Mapping):
        raise EolFormatError(where, "a release must be an object")
    if "releaseCycle" in raw or "cycle" in raw:  # v0 API and product pages
        cycle = raw.get("releaseCycle", raw.get("cycle"))
        eol = _date_or_flag(raw.get("eol"), f"{where}.eol")
        latest = _text(raw.get("latest"))
        released = _opt_date(raw.get("releaseDate", raw.get("release")), f"{where}.releaseDate")
        label = _text(raw.get("releaseLabel"))
    elif "name" in raw:  # v1 API
        cycle = raw["name"]
        eol_from = _opt_date(raw.get("eolFrom"), f"{where}.eolFrom")
        eol = eol_from if eol_from is not None else bool(raw.get("isEol", False))
        latest_raw = raw.get("latest")
        latest = _text(latest_raw.get("name")) if isinstance(latest_raw, Mapping) else _text(latest_raw)
        released = _opt_date(raw.get("releaseDate"), f"{where}.releaseDate")
        label = _text(raw.get("label"))
    else:
        raise EolFormatError(where, "no releaseCycle, cycle or name")
    if cycle is None or not str(cycle).strip():
        raise EolFormatError(where, "empty release cycle")
    return EolRelease(cycle=str(cycle), label=label, release_date=released, eol=eol, latest=latest)


def _releases(raw: Any, where: str) -> tuple[EolRelease, ...]:
    if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
        raise EolFormatError(where, "releases must be a list")
    return tuple(_release(r, f"{where}[{i}]") for i, r in enumerate(raw))


def _product(product_id: str, title: str, releases: tuple[EolRelease, ...], source: str) -> EolProduct:
    try:
        return EolProduct(id=product_id.strip().casefold(), title=title, releases=releases, source=source)
    except ValidationError as exc:
        raise EolFormatError(product_id or "product", _first_error(exc)) from None


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"


def parse_export(data: Any, product_hint: str | None = None, source: str = "") -> EolCatalogue:
    """Turn one decoded export into a catalogue; `product_hint` names a v0 product (its file name)."""
    if isinstance(data, Mapping) and data.get("format") == FORMAT:
        try:
            return EolCatalogue.model_validate(data)
        except ValidationError as exc:
            raise EolFormatError("catalogue", _first_error(exc)) from None
    if isinstance(data, Mapping) and "result" in data:  # v1 API
        result = data["result"]
        items = result if isinstance(result, list) else [result]
        products = []
        for i, item in enumerate(items):
            if not isinstance(item, Mapping) or "name" not in item:
                raise EolFormatError(f"result[{i}]", "a product needs a name")
            name = str(item["name"])
            rel = _releases(item.get("releases"), f"result[{i}].releases")
            products.append(_product(name, _text(item.get("label")), rel, source))
        return EolCatalogue(products=tuple(products))
    if isinstance(data, Mapping) and "releases" in data:  # a product page's front matter
        permalink = _text(data.get("permalink")).strip("/")
        name = permalink or product_hint or ""
        if not name:
            raise EolFormatError("product", "no permalink; name the product")
        rel = _releases(data["releases"], "releases")
        return EolCatalogue(products=(_product(name, _text(data.get("title")), rel, source),))
    if isinstance(data, list):  # v0 API: one product's cycles
        if not product_hint:
            raise EolFormatError("product", "a v0 export has no product name; name the product")
        return EolCatalogue(products=(_product(product_hint, "", _releases(data, "releases"), source),))
    raise EolFormatError("file", "not an endoflife.date export")
