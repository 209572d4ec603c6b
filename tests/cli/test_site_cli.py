"""`hogo site`: register member sites, replace origins, rotate keys; secrets shown once."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests.cli.conftest import Run


def test_add_list_origins_and_rotate(hogo: Run, tmp_path: Path) -> None:
    added = hogo(
        "site", "add", "shop", "--name", "ほごショップ", "--origin", "https://Shop.Example.jp:443/",
        "--origin", "https://m.example.jp", "--json", as_json=True,
    )  # fmt: skip
    assert added["algorithm"] == "HS256" and len(added["secret"]) >= 40
    listed = hogo("site", "list", "--json", as_json=True)
    assert listed[0]["origins"] == ["https://m.example.jp", "https://shop.example.jp"]
    assert "secret" not in str(listed)  # shown once, never listed
    assert added["secret"] not in (tmp_path / "cli.db").read_bytes().decode("latin-1")  # sealed at rest
    changed = hogo("site", "origins", "shop", "--origin", "https://new.example.jp", "--json", as_json=True)
    assert changed["origins"] == ["https://new.example.jp"]

    pem = tmp_path / "site.pub"
    public = Ed25519PrivateKey.generate().public_key()
    pem.write_bytes(public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    rotated = hogo("site", "rotate-key", "shop", "--public-key", str(pem), "--json", as_json=True)
    assert rotated["algorithm"] == "EdDSA" and rotated["secret"] is None
    keys = hogo("site", "list", "--json", as_json=True)[0]["keys"]
    assert [k["retires_at"] is None for k in keys] == [False, True]


def test_bad_origins_and_duplicates_are_refused(hogo: Run) -> None:
    bad = hogo("site", "add", "shop", "--name", "x", "--origin", "http://shop.example.jp", code=2)
    assert "origin" in bad.output
    assert (
        "https" in hogo("site", "add", "shop", "--name", "x", "--origin", "https://a.jp/path", code=2).output
    )
    hogo("site", "add", "shop", "--name", "x", "--origin", "https://a.jp")
    assert "登録済み" in hogo("site", "add", "shop", "--name", "x", "--origin", "https://a.jp", code=2).output
