"""The bundled EOL data, lookups, and loading endoflife.date exports offline."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from hogo.domain.readiness import eol
from hogo.domain.readiness.eol_formats import EolFormatError, parse_export
from hogo.errors import InputError
from hogo.files import readiness_eol
from tests.readiness.conftest import asset


def test_bundled_data_is_complete(catalogue: eol.EolCatalogue) -> None:
    ids = {p.id for p in catalogue.products}
    assert {"fortios", "pan-os", "windows-server", "windows", "synology-dsm"} <= ids
    for p in catalogue.products:
        assert p.source and p.aliases and p.releases
        for r in p.releases:
            assert isinstance(r.eol, date)  # every bundled entry has a published date
            if r.release_date:
                assert r.release_date < r.eol
    [rule] = catalogue.vendor_rules
    assert rule.manufactured_before == date(2017, 1, 1) and "elecom" in rule.vendors


@pytest.mark.parametrize(
    ("vendor", "model", "version", "product", "cycle"),
    [
        ("Fortinet", "FortiGate 60F", "7.0.12", "fortios", "7.0"),
        ("Fortinet", "FortiGate 60F", "v6.4.9 build1966", "fortios", "6.4"),
        ("Palo Alto Networks", "PA-440", "10.1.14-h20", "pan-os", "10.1"),
        ("Microsoft", "Windows Server", "2012 R2", "windows-server", "2012-r2"),
        ("Microsoft", "Windows Server", "2012", "windows-server", "2012"),
        ("Microsoft", "Windows", "10 21H2", "windows", "10-21h2"),
        ("Microsoft", "Windows", "10", "windows", "10"),
        ("Synology", "DS220+", "7.1.1-42962 Update 9", "synology-dsm", "7.1"),
    ],
)
def test_lookup(
    catalogue: eol.EolCatalogue, vendor: str, model: str, version: str, product: str, cycle: str
) -> None:
    st = eol.status(catalogue, asset(vendor=vendor, model=model, version=version), date(2026, 11, 27))
    assert st.product is not None and st.product.id == product
    assert st.release is not None and st.release.cycle == cycle


def test_explicit_product_wins(catalogue: eol.EolCatalogue) -> None:
    a = asset(vendor="Some reseller", model="UTM", version="7.2.5", eol_product="fortios")
    st = eol.status(catalogue, a, date(2026, 1, 1))
    assert st.release is not None and st.release.cycle == "7.2" and not st.past_eol
    assert eol.status(catalogue, a, date(2026, 9, 30)).past_eol  # the eol day itself is past


V0 = [
    {"cycle": "8.0", "releaseDate": "2025-01-01", "eol": "2030-01-01", "latest": "8.0.3"},
    {"cycle": "7.0", "releaseDate": "2020-01-01", "eol": True, "latest": "7.0.9"},
]
V1 = {"schema_version": "1.0.0", "result": {"name": "fortios", "label": "FortiOS", "releases": [
    {"name": "8.0", "releaseDate": "2026-04-01", "isEol": False, "eolFrom": "2030-10-01", "latest": {"name": "8.0.1"}},
    {"name": "7.6", "releaseDate": "2024-07-25", "isEol": False, "eolFrom": "2029-01-25", "latest": None},
]}}  # fmt: skip
PAGE = """---
title: Acme OS
permalink: /acme-os
releases:
  - releaseCycle: "3"
    releaseDate: 2022-01-01
    eol: 2027-01-01
    latest: "3.4"
---

Body text.
"""


def test_parse_shapes() -> None:
    v0 = parse_export(V0, "acme-router")
    assert v0.products[0].id == "acme-router" and v0.products[0].releases[1].eol is True
    v1 = parse_export(V1)
    assert v1.products[0].releases[0].eol == date(2030, 10, 1)
    assert v1.products[0].releases[0].latest == "8.0.1"


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ([{"cycle": "1", "eol": "31/12/2030"}], "releases[0].eol"),
        ([{"eol": "2030-01-01"}], "releases[0]"),
        ({"result": [{"label": "x"}]}, "result[0]"),
        ({"releases": "nope", "permalink": "/x"}, "releases"),
        ("text", "file"),
    ],
)
def test_parse_errors_name_the_place(data: object, where: str) -> None:
    with pytest.raises(EolFormatError) as info:
        parse_export(data, "x")
    assert info.value.where == where


def test_import_overlays_the_bundled_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    export = tmp_path / "fortios.json"
    export.write_text(json.dumps(V1), encoding="utf-8")
    imported = readiness_eol.import_file(export, data_dir)
    assert [p.id for p in imported.products] == ["fortios"]
    merged = readiness_eol.load_catalogue(data_dir)
    fortios = merged.product("fortios")
    assert fortios is not None and [r.cycle for r in fortios.releases] == ["8.0", "7.6"]
    assert fortios.aliases == ("fortinet", "fortigate", "fortios")  # kept from the bundled entry
    assert merged.product("pan-os") is not None  # the rest stays
    # a v0 export is named by its file; a product page by its permalink
    (tmp_path / "acme-router.json").write_text(json.dumps(V0), encoding="utf-8")
    readiness_eol.import_file(tmp_path / "acme-router.json", data_dir)
    (tmp_path / "acme-os.md").write_text(PAGE, encoding="utf-8")
    readiness_eol.import_file(tmp_path / "acme-os.md", data_dir)
    after = readiness_eol.load_catalogue(data_dir)
    assert after.product("acme-router") is not None and after.product("fortios") == fortios
    page = after.product("acme-os")
    assert page is not None and page.title == "Acme OS" and page.releases[0].latest == "3.4"


def test_bad_import_writes_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps([{"cycle": "1", "eol": "someday"}]), encoding="utf-8")
    with pytest.raises(InputError) as info:
        readiness_eol.import_file(bad, data_dir)
    assert info.value.field == "releases[0].eol" and "someday" not in str(info.value)
    assert not readiness_eol.overlay_path(data_dir).exists()
    (tmp_path / "x.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError):
        readiness_eol.import_file(tmp_path / "x.json", data_dir)


def test_damaged_overlay_is_reported(tmp_path: Path) -> None:
    path = readiness_eol.overlay_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text("{", encoding="utf-8")
    with pytest.raises(InputError):
        readiness_eol.load_catalogue(tmp_path)
