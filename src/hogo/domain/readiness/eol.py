"""End-of-life data in the shape endoflife.date uses, plus vendor rules of our own.

A device past its vendor's end of life gets no more fixes, so a known flaw stays open for good:
the NPA names "replace devices whose vendor no longer ships firmware" as a measure, and the seed's
example is a router vendor that stopped firmware for models made before 2017. endoflife.date
tracks products as release cycles with an end-of-life date (or flag) and the latest version; we
keep that shape so a newer export can be loaded offline, and add vendor-level rules for Japanese
SME routers that endoflife.date does not cover.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Self

from pydantic import Field, StringConstraints, model_validator

from hogo.domain.model import Frozen
from hogo.domain.readiness.assets import Asset, AssetKind

ProductId = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.\-]*$"
    ),
]
FORMAT = "hogo-eol/1"


class EolRelease(Frozen):
    cycle: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    label: str = ""
    release_date: date | None = None
    #: The end-of-life date, or True (ended, date not published) / False (no end announced).
    eol: date | bool
    latest: str = ""

    def is_eol(self, on: date) -> bool:
        if isinstance(self.eol, bool):
            return self.eol
        return self.eol <= on


class EolProduct(Frozen):
    id: ProductId
    title: str = ""
    #: Lower-case words that identify the product in "vendor model version" ("fortigate").
    aliases: tuple[str, ...] = ()
    source: str = ""
    releases: tuple[EolRelease, ...]

    @model_validator(mode="after")
    def _unique_cycles(self) -> Self:
        cycles = [normalise(r.cycle) for r in self.releases]
        if len(cycles) != len(set(cycles)):
            raise ValueError(f"{self.id}: duplicate release cycle")
        return self


class VendorRule(Frozen):
    """A vendor's statement that models made before a date receive no more firmware."""

    id: ProductId
    #: Lower-case vendor names as users write them ("elecom", "エレコム").
    vendors: tuple[str, ...] = Field(min_length=1)
    kinds: tuple[AssetKind, ...] = ()
    #: Model-name prefixes the rule covers; empty covers every model of the vendor.
    model_prefixes: tuple[str, ...] = ()
    manufactured_before: date
    note_ja: str
    note_en: str
    source: str

    def covers(self, asset: Asset) -> bool:
        vendor = asset.vendor.casefold()
        if not vendor or not any(v in vendor for v in self.vendors):
            return False
        if self.kinds and asset.kind not in self.kinds:
            return False
        model = asset.model.casefold()
        return not self.model_prefixes or any(model.startswith(p.casefold()) for p in self.model_prefixes)


class EolCatalogue(Frozen):
    format: str = FORMAT
    products: tuple[EolProduct, ...] = ()
    vendor_rules: tuple[VendorRule, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [p.id for p in self.products]
        if len(ids) != len(set(ids)):
            raise ValueError("products: duplicate product id")
        return self

    def product(self, product_id: str) -> EolProduct | None:
        return next((p for p in self.products if p.id == product_id), None)

    def merged(self, newer: EolCatalogue) -> EolCatalogue:
        """Products in `newer` replace ours (keeping our aliases when it has none); the rest stay."""
        by_id = {p.id: p for p in self.products}
        for p in newer.products:
            old = by_id.get(p.id)
            if old is not None and not p.aliases:
                p = p.model_copy(update={"aliases": old.aliases, "title": p.title or old.title})
            by_id[p.id] = p
        rules = {r.id: r for r in self.vendor_rules} | {r.id: r for r in newer.vendor_rules}
        return EolCatalogue(products=tuple(by_id.values()), vendor_rules=tuple(rules.values()))


def normalise(text: str) -> str:
    """Lower case, no leading 'v', runs of spaces/commas/underscores as one '-'."""
    text = text.strip().casefold()
    text = re.sub(r"^v(?=\d)", "", text)
    return re.sub(r"[\s,_]+", "-", text)


def numeric(version: str) -> tuple[int, ...]:
    """The numbers in a version, in order: '10.1.14-h20' → (10, 1, 14, 20)."""
    return tuple(int(n) for n in re.findall(r"\d+", version))


def find_product(catalogue: EolCatalogue, asset: Asset) -> EolProduct | None:
    """The asset's product: its explicit id, else the product whose longest alias it mentions."""
    if asset.eol_product:
        return catalogue.product(asset.eol_product.strip().casefold())
    haystack = f"{asset.vendor} {asset.model} {asset.name}".casefold()
    best: tuple[int, EolProduct] | None = None
    for product in catalogue.products:
        for alias in product.aliases:
            if alias and alias.casefold() in haystack and (best is None or len(alias) > best[0]):
                best = (len(alias), product)
    return best[1] if best else None


def find_release(product: EolProduct, version: str) -> EolRelease | None:
    """The release cycle a version belongs to: equal, or a prefix ending at a separator; longest wins."""
    v = normalise(version)
    if not v:
        return None
    best: EolRelease | None = None
    for release in product.releases:
        c = normalise(release.cycle)
        if (v == c or (v.startswith(c) and v[len(c)] in ".-+ ")) and (
            best is None or len(c) > len(normalise(best.cycle))
        ):
            best = release
    return best


@dataclass(frozen=True, slots=True)
class EolStatus:
    """What the data says about one asset on one day."""

    product: EolProduct | None
    release: EolRelease | None
    vendor_rule: VendorRule | None
    on: date

    @property
    def known(self) -> bool:
        return self.release is not None

    @property
    def past_eol(self) -> bool:
        return self.release is not None and self.release.is_eol(self.on)

    @property
    def eol_date(self) -> date | None:
        if self.release is None or isinstance(self.release.eol, bool):
            return None
        return self.release.eol


def status(catalogue: EolCatalogue, asset: Asset, on: date) -> EolStatus:
    product = find_product(catalogue, asset)
    release = find_release(product, asset.version) if product and asset.version else None
    rule = next((r for r in catalogue.vendor_rules if r.covers(asset)), None)
    return EolStatus(product=product, release=release, vendor_rule=rule, on=on)


def behind_latest(release: EolRelease, version: str) -> bool:
    """True when the cycle's latest version is numerically newer than the one installed."""
    installed, latest = numeric(version), numeric(release.latest)
    if len(installed) < 2 or len(latest) < 2:
        return False
    return installed < latest
