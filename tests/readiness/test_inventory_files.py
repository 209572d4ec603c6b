"""Importing the spreadsheet: UTF-8, BOM and CP932, Japanese headers, errors naming row and field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hogo.domain.readiness.assets import AssetKind
from hogo.domain.readiness.questionnaire import Answer
from hogo.errors import InputError
from hogo.files.readiness_inventory import merge, read_csv, read_inventory_file, read_yaml

ASSETS_EN = (
    "id,kind,vendor,model,version,manufactured_on,exposed_ports,mfa,default_password_changed,last_patched_on,owner\n"
    "vpn-1,vpn_gateway,Fortinet,FortiGate 60F,7.0.12,2021-04-01,443;10443,no,yes,2024/01/10,総務部\n"
    "pc-1,pc,Dell,Latitude,,,,,,,\n"
)
ASSETS_JA = "ID,種別,メーカー,機種,製造日,多要素認証,初期パスワード変更済,管理責任者\nr-1,router,エレコム,WRC-1167GHBK,2016/05/01,なし,いいえ,総務部\n"
BACKUPS_JA = "ID,対象,媒体,世代数,オフライン,遠隔地,最終復元テスト日,復元テストエラー数\nb-1,fs-1,external_disk,8,はい,○,2026-06-01,0\n"


def test_english_headers_utf8() -> None:
    inventory = read_csv(ASSETS_EN.encode("utf-8"))
    vpn, pc = inventory.assets
    assert vpn.kind is AssetKind.vpn_gateway and vpn.exposed_ports == (443, 10443)
    assert vpn.mfa is False and vpn.default_password_changed is True
    assert vpn.last_patched_on == date(2024, 1, 10) and vpn.owner == "総務部"
    assert pc.mfa is None and pc.version == "" and pc.manufactured_on is None


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-8"])
def test_japanese_headers_any_excel_encoding(encoding: str) -> None:
    [router] = read_csv(ASSETS_JA.encode(encoding)).assets
    assert router.vendor == "エレコム" and router.manufactured_on == date(2016, 5, 1)
    assert router.mfa is False and router.default_password_changed is False
    [job] = read_csv(BACKUPS_JA.encode(encoding)).backups
    assert job.offline and job.offsite and job.generations == 8 and job.restore_test_errors == 0


def test_full_width_digits_are_normalised() -> None:
    text = "id,kind,exposed_ports,last_patched_on\nr-1,router,４４３,２０２６-１１-０１\n"
    [a] = read_csv(text.encode("cp932")).assets
    assert a.exposed_ports == (443,) and a.last_patched_on == date(2026, 11, 1)


@pytest.mark.parametrize(
    ("text", "row", "field"),
    [
        ("id,kind,colour\nx,pc,red\n", 1, "colour"),
        ("id,kind,last_patched_on\na,pc,2026-01-01\nb,pc,2026-02-30\n", 3, "last_patched_on"),
        ("id,kind,mfa\na,pc,maybe\n", 2, "mfa"),
        ("id,kind\na,toaster\n", 2, "kind"),
        ("id,kind,exposed_ports\na,router,https\n", 2, "exposed_ports"),
        ("id,kind,exposed_ports\na,router,70000\n", 2, "exposed_ports"),
        ("id,source,media,generations\nb,fs,nas,many\n", 2, "generations"),
        ("id,kind\na,pc,extra\n", 2, None),
    ],
)
def test_errors_name_row_and_field(text: str, row: int, field: str | None) -> None:
    with pytest.raises(InputError) as info:
        read_csv(text.encode("utf-8"))
    assert info.value.row == row and info.value.field == field
    assert f"{row}行目" in info.value.ja


def test_errors_do_not_echo_values() -> None:
    with pytest.raises(InputError) as info:
        read_csv("id,kind,owner,last_patched_on\na,pc,山田太郎,1999-99-99\n".encode())
    assert "山田太郎" not in str(info.value) and "1999-99-99" not in str(info.value)


def test_duplicate_ids_and_undecodable_bytes() -> None:
    with pytest.raises(InputError):
        read_csv(b"id,kind\na,pc\na,nas\n")
    with pytest.raises(InputError):
        read_csv(b"id,kind\n\xff\xfe\xfa,pc\n")
    with pytest.raises(InputError):
        merge([read_csv(b"id,kind\na,pc\n"), read_csv(b"id,kind\na,nas\n")])


def test_yaml_with_answers(tmp_path: Path) -> None:
    inventory, answers = read_inventory_file(Path(__file__).parent / "data" / "inventory.yaml")
    assert len(inventory.assets) == 5 and len(inventory.backups) == 2
    assert answers == {"q.telework.rules": Answer.yes, "q.training.staff": Answer.partial,
                       "q.incident.no_ransom": Answer.no}  # fmt: skip


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("assets:\n  - id: a\n    kind: pc\n    mfa: perhaps\n", "mfa"),
        ("answers:\n  q.nonexistent: yes\n", "answers.q.nonexistent"),
        ("answers:\n  q.telework.rules: sometimes\n", "answers.q.telework.rules"),
        ("devices: []\n", "devices"),
        ("assets: {}\n", "assets"),
    ],
)
def test_yaml_errors(text: str, field: str) -> None:
    with pytest.raises(InputError) as info:
        read_yaml(text.encode("utf-8"))
    assert info.value.field == field


def test_wrong_file_type(tmp_path: Path) -> None:
    path = tmp_path / "inventory.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError):
        read_inventory_file(path)
