"""The 管理台帳 as CSV (UTF-8, BOM, CP932) and YAML: round trips and all-or-nothing errors."""

from __future__ import annotations

import pytest

from hogo.domain.inventory import Dataset, Encryption, Inventory, LocationKind, SubjectQueryKind, SubjectScope
from hogo.errors import InputError
from hogo.files.csv_headers import HeaderStyle
from hogo.files.inventory_io import (
    dump_inventory_csv,
    dump_inventory_yaml,
    parse_inventory_csv,
    parse_inventory_yaml,
)

HEADER = "id,name,owner,location_kind,location,data_categories,purposes,subjects,subject_ids,count,retention,access_roles,encryption,outsourcees\r\n"
ROWS = (
    "crm,顧客管理システム,営業部,cloud,kintone,name;email,marketing,all,,12000,退会後3年,sales;support,standard,\r\n"
    "health,健康診断結果,人事部,paper,本社書庫,name;medical_history,hr,,,85,5年,hr,none,\r\n"
    "vip,VIP名簿,営業部,device,ノートPC,name;phone,,,C-1;C-2,2,1年,sales,advanced,\r\n"
)

INVENTORY = Inventory(
    datasets=(
        Dataset(
            id="crm",
            name="顧客管理システム",
            owner="営業部",
            location_kind=LocationKind.cloud,
            location="kintone",
            data_categories=("name", "email"),
            purposes=("marketing",),
            subjects=SubjectScope(kind=SubjectQueryKind.all),
            count=12000,
            retention="退会後3年",
            access_roles=("sales", "support"),
            encryption=Encryption.standard,
        ),
        Dataset(
            id="health",
            name="健康診断結果",
            owner="人事部",
            location_kind=LocationKind.paper,
            location="本社書庫",
            data_categories=("name", "medical_history"),
            purposes=("hr",),
            count=85,
            retention="5年",
            access_roles=("hr",),
        ),
        Dataset(
            id="vip",
            name="VIP名簿",
            owner="営業部",
            location_kind=LocationKind.device,
            location="ノートPC",
            data_categories=("name", "phone"),
            subjects=SubjectScope(kind=SubjectQueryKind.listed, subject_ids=("C-1", "C-2")),
            count=2,
            retention="1年",
            access_roles=("sales",),
            encryption=Encryption.advanced,
        ),
    )
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_every_encoding_excel_writes(encoding: str) -> None:
    assert parse_inventory_csv((HEADER + ROWS).encode(encoding)) == INVENTORY


@pytest.mark.parametrize("headers", list(HeaderStyle))
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_csv_round_trip(encoding: str, headers: HeaderStyle) -> None:
    assert parse_inventory_csv(dump_inventory_csv(INVENTORY, encoding, headers)) == INVENTORY


def test_export_headers_are_japanese_by_default_and_machine_on_request() -> None:
    ja = dump_inventory_csv(INVENTORY).decode("utf-8-sig").splitlines()[0].split(",")
    assert ja[:3] == ["データセットID", "名称", "管理者"] and "委託先" in ja and "id" not in ja
    machine = dump_inventory_csv(INVENTORY, headers=HeaderStyle.machine).decode("utf-8-sig")
    assert machine.splitlines()[0] == HEADER.strip()


@pytest.mark.parametrize("headers", list(HeaderStyle))
def test_export_edited_in_a_spreadsheet_imports_again(headers: HeaderStyle) -> None:
    text = dump_inventory_csv(INVENTORY, "cp932", headers).decode("cp932")
    lines = text.splitlines()
    lines[1] = lines[1].replace("営業部", "総務部")
    edited = parse_inventory_csv(("\r\n".join(lines) + "\r\n").encode("cp932"))
    assert edited.datasets[0].owner == "総務部"
    assert edited.datasets[1:] == INVENTORY.datasets[1:]


def test_japanese_headers_typed_by_hand_are_read() -> None:
    data = "データセットＩＤ,名称,件数\r\nx,名簿,3\r\n".encode("cp932")  # full-width ＩＤ
    assert parse_inventory_csv(data).datasets[0].count == 3
    with pytest.raises(InputError, match="データセットID"):
        parse_inventory_csv("名称\r\n名簿\r\n".encode())


def test_yaml_round_trip() -> None:
    text = dump_inventory_yaml(INVENTORY)
    assert "顧客管理システム" in text
    assert parse_inventory_yaml(text) == INVENTORY


def test_id_prefix_query_and_full_width_digits() -> None:
    row = 'shop,通販会員,EC部,system,shop-db,email,,id_prefix:EC-,,"１,５００",3年,,none,\r\n'
    inv = parse_inventory_csv((HEADER + row).encode("cp932"))
    d = inv.datasets[0]
    assert d.subjects == SubjectScope(kind=SubjectQueryKind.id_prefix, value="EC-")
    assert d.count == 1500


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("x,名簿,,,,,,,,多い,,,none,", "count"),
        ("x,名簿,,,,,,,,1,,,super,", "encryption"),
        ("x,名簿,,moon,,,,,,1,,,none,", "location_kind"),
        ("x,名簿,,,,,,everyone,,1,,,none,", "subjects"),
        ("x,名簿,,,,,,all,S1,1,,,none,", "subjects"),
        ("x y,名簿,,,,,,,,1,,,none,", "id"),
    ],
)
def test_bad_row_names_row_and_field_never_the_value(row: str, field: str) -> None:
    data = (HEADER + ROWS + row + "\r\n").encode("utf-8")
    with pytest.raises(InputError) as info:
        parse_inventory_csv(data)
    assert info.value.row == 5 and info.value.field == field
    assert "多い" not in str(info.value) and "super" not in str(info.value)


def test_duplicate_id_is_refused() -> None:
    with pytest.raises(InputError) as info:
        parse_inventory_csv((HEADER + ROWS + ROWS.splitlines()[0] + "\r\n").encode())
    assert info.value.row == 5 and info.value.field == "id"


def test_cp932_export_refuses_characters_it_cannot_hold() -> None:
    inv = Inventory(datasets=(Dataset(id="x", name="𠮷野家の名簿"),))
    with pytest.raises(InputError):
        dump_inventory_csv(inv, "cp932")
    assert "𠮷" in dump_inventory_csv(inv, "utf-8-sig").decode("utf-8-sig")


def test_yaml_errors_name_the_key() -> None:
    with pytest.raises(InputError, match=r"datasets\.0\.encryption"):
        parse_inventory_yaml("datasets:\n  - {id: a, name: b, encryption: strong}\n")
