"""Streaming an input into an engine table gives what tokenising the whole table gives."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hogo.engines import SqlEngine
from hogo.errors import InputError
from hogo.matching.inputs import InputSpec, open_input, read_input
from hogo.matching.keys import KeyKind, hex_select, tokenize_into, tokenize_table
from hogo.matching.tokens import TokenKey

KEY = TokenKey(b"k" * 32)
FIELDS = {"email": KeyKind.email, "phone": KeyKind.phone}
COLUMNS = {"member_id": "id", "email": "mail", "phone": "tel"}


def _members(path: Path, n: int = 11) -> Path:
    mails = [f"User{i}@Example.jp" if i % 4 else "not-an-email" for i in range(n)]
    phones = [f"090-{i:04d}-5678" if i % 5 else None for i in range(n)]
    pq.write_table(pa.table({"id": [f"M{i:03d}" for i in range(n)], "mail": mails, "tel": phones}), path)
    return path


def test_batches_make_the_same_tokens_and_reports(engine: SqlEngine, tmp_path: Path) -> None:
    spec = InputSpec(path=_members(tmp_path / "m.parquet"), columns=COLUMNS)
    whole, expected = tokenize_table(read_input(spec).table, KEY, FIELDS, keep=["member_id"])
    name = engine.temp_name("streamed")
    rows, reports = tokenize_into(
        engine, name, open_input(spec, batch_rows=3), KEY, FIELDS, keep=["member_id"]
    )
    tokens = ["email_token", "phone_token"]
    held = engine.query(f"SELECT {', '.join(tokens)} FROM {engine.ident(name)}")
    assert all(pa.types.is_binary(t) for t in held.schema.types)  # 32 bytes in the engine
    assert {len(v) for c in tokens for v in held.column(c).to_pylist() if v is not None} == {32}
    streamed = engine.query(f"{hex_select(engine, name, tokens)} ORDER BY {engine.ident('row')}")
    assert rows == 11
    assert streamed.select(whole.column_names).to_pylist() == whole.to_pylist()
    assert reports == expected
    assert reports[0].invalid_rows == [1, 5, 9]  # rows a person sees, across batch boundaries
    engine.drop(name)


def test_an_input_without_rows_makes_an_empty_table(engine: SqlEngine, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("id,mail,tel\n", encoding="utf-8")
    name = engine.temp_name("streamed")
    rows, reports = tokenize_into(
        engine, name, open_input(InputSpec(path=path, columns=COLUMNS)), KEY, FIELDS
    )
    assert rows == 0 and [r.rows for r in reports] == [0, 0]
    assert engine.count(name) == 0
    assert set(engine.columns(name)) == {"row", "email_token", "phone_token"}
    engine.drop(name)


def test_a_bad_csv_row_is_named_while_streaming(engine: SqlEngine, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("id,mail,tel\nM1,a@example.jp,0312345678\nM2,b@example.jp\n", encoding="utf-8")
    name = engine.temp_name("streamed")
    with pytest.raises(InputError) as info:
        tokenize_into(engine, name, open_input(InputSpec(path=path, columns=COLUMNS)), KEY, FIELDS)
    assert info.value.row == 3
