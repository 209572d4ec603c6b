"""Reading release inputs: encodings Japanese offices use, Parquet, DuckDB, and clear errors."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hogo.errors import InputError
from hogo.matching import inputs
from hogo.matching.inputs import InputSpec, find_undecodable_line, read_input

MAPPING = {"member_id": "会員番号", "email": "メールアドレス", "phone": "電話番号"}
ROWS = "会員番号,メールアドレス,電話番号\n0001,taro@example.jp,090-1234-5678\n0002,ｈａｎａ＠example.jp,０３－１２３４－５６７８\n"


@pytest.mark.parametrize(("encoding", "prefix"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp932", b"")])
def test_csv_in_each_encoding(tmp_path: Path, encoding: str, prefix: bytes) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(prefix + ROWS.encode(encoding))
    data = read_input(InputSpec(path=path, columns=MAPPING))
    assert data.table.column_names == ["member_id", "email", "phone"]
    assert data.table.column("member_id").to_pylist() == ["0001", "0002"]  # leading zeros kept
    assert data.table.column("phone").to_pylist()[1] == "０３－１２３４－５６７８"
    assert data.row_offset == 2
    assert data.encoding == {b"": encoding, b"\xef\xbb\xbf": "utf-8-sig"}[prefix]


def test_headers_match_across_width_and_spaces(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("ＩＤ , Mail\n1,a@b.jp\n", encoding="utf-8")
    data = read_input(InputSpec(path=path, columns={"member_id": "ID", "email": "mail"}))
    assert data.table.column("email").to_pylist() == ["a@b.jp"]


def test_undecodable_bytes_name_the_row_not_the_value(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(ROWS.encode("utf-8") + b"0003,\xff\xfe@example.jp,090\n")
    with pytest.raises(InputError) as info:
        read_input(InputSpec(path=path, encoding="utf-8", columns=MAPPING))
    assert info.value.row == 4
    assert "example" not in str(info.value)


def test_undecodable_line_across_read_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "_SAMPLE", 7)
    path = tmp_path / "in.csv"
    path.write_bytes("あいう\nかきく\nさ".encode() + b"\xe3\x81" + b"\nx\n")
    assert find_undecodable_line(path, "utf-8") == 3
    path.write_bytes("あいう\nかきく\n".encode())
    assert find_undecodable_line(path, "utf-8") is None


def test_missing_column_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(ROWS, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_input(InputSpec(path=path, columns={**MAPPING, "birth_date": "生年月日"}))
    assert info.value.field == "生年月日" and info.value.row == 1


def test_ragged_row_is_reported_without_its_contents(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(ROWS + "0003,secret@example.jp,090,extra\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_input(InputSpec(path=path, columns=MAPPING))
    assert "secret" not in str(info.value)
    assert info.value.row == 4


def test_parquet_and_duckdb_inputs(tmp_path: Path) -> None:
    table = pa.table({"id": ["1", "2"], "mail": ["a@b.jp", None], "other": [1, 2]})
    pq.write_table(table, tmp_path / "in.parquet")
    data = read_input(InputSpec(path=tmp_path / "in.parquet", columns={"member_id": "id", "email": "mail"}))
    assert data.table.to_pylist() == [
        {"member_id": "1", "email": "a@b.jp"},
        {"member_id": "2", "email": None},
    ]
    db = tmp_path / "in.duckdb"
    with duckdb.connect(str(db)) as con:
        con.register("src", table)
        con.execute('CREATE TABLE "会員 表" AS SELECT * FROM src')
    data = read_input(InputSpec(path=db, table="会員 表", columns={"member_id": "id", "email": "mail"}))
    assert data.table.to_pylist()[0] == {"member_id": "1", "email": "a@b.jp"}
    with pytest.raises(InputError) as info:
        read_input(InputSpec(path=db, table="nope", columns={"member_id": "id"}))
    assert info.value.field == "nope"


def test_unknown_format_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_input(InputSpec(path=tmp_path / "nothing.csv", columns=MAPPING))
    odd = tmp_path / "in.xlsx"
    odd.write_bytes(b"x")
    with pytest.raises(InputError):
        read_input(InputSpec(path=odd, columns=MAPPING))


@pytest.mark.parametrize(
    "header", ["会員番号,メールアドレス,メールアドレス,電話番号", "会員番号,メールアドレス,ﾒｰﾙｱﾄﾞﾚｽ ,電話番号"]
)
def test_a_mapped_heading_twice_is_refused(tmp_path: Path, header: str) -> None:
    """Was: the first of the two columns was read, silently (a partner's old and new addresses)."""
    path = tmp_path / "in.csv"
    path.write_text(header + "\n0001,old@example.jp,new@example.jp,090-1234-5678\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_input(InputSpec(path=path, columns=MAPPING))
    assert (info.value.row, info.value.field) == (1, "メールアドレス")
    assert "example" not in str(info.value)


def test_a_utf8_file_cut_in_a_character_is_refused_not_read_as_shift_jis(tmp_path: Path) -> None:
    """Was: the first MiB was not UTF-8 (its last character is cut), so the whole file was read as
    Shift_JIS and every Japanese cell came out garbled, silently (the bytes of 山田 cut short are
    valid Shift_JIS). The encoding is settled as for every spreadsheet hogo reads."""
    path = tmp_path / "in.csv"
    path.write_bytes("member_id,name\r\n0001,山田\r\n".encode()[:-3])
    with pytest.raises(InputError) as info:
        read_input(InputSpec(path=path, columns={"member_id": "member_id", "name": "name"}))
    assert "line 2" in info.value.en and "cut short" in info.value.en


def test_a_file_mixing_encodings_is_refused_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(ROWS.encode("cp932") + "0003,jiro@example.jp,０９０－１１１１－２２２２\n".encode())
    with pytest.raises(InputError) as info:
        read_input(InputSpec(path=path, columns=MAPPING))
    assert (info.value.row == 4 or "line 4" in info.value.en) and "example" not in str(info.value)
