"""The engine contract, run on every backend: quoting, parameters, files, atomic output, errors."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hogo.engines import EngineError, SqlEngine, get_engine
from hogo.errors import InputError

ODD = 'a"b; DROP TABLE x; --'


def test_identifiers_are_quoted_not_pasted(engine: SqlEngine) -> None:
    t = engine.register_arrow(engine.temp_name("t"), pa.table({ODD: [1, 2, 3], "plain": ["x", "y", "z"]}))
    result = engine.query(f"SELECT {engine.ident(ODD)} AS v FROM {engine.ident(t)} ORDER BY 1")
    assert result.column("v").to_pylist() == [1, 2, 3]
    assert engine.columns(t) == [ODD, "plain"]
    engine.drop(t)


def test_values_are_bound_parameters(engine: SqlEngine) -> None:
    t = engine.register_arrow(engine.temp_name("t"), pa.table({"name": ["o'brien", "x"], "n": [1, 2]}))
    p = engine.dialect.param
    rows = engine.query(
        f"SELECT n FROM {engine.ident(t)} WHERE name = {p('who')} AND n >= {p('low')}",
        {"who": "o'brien", "low": 1},
    )
    assert rows.column("n").to_pylist() == [1]
    assert engine.scalar(f"SELECT COUNT(*) FROM {engine.ident(t)} WHERE n > ?", [1]) == 1


def test_create_table_count_drop(engine: SqlEngine) -> None:
    t = engine.register_arrow(engine.temp_name("t"), pa.table({"n": list(range(10))}))
    u = engine.create_table_as(engine.temp_name("u"), f"SELECT n FROM {engine.ident(t)} WHERE n < ?", [4])
    assert engine.count(u) == 4
    engine.drop(u)
    with pytest.raises(EngineError):
        engine.count(u)


def test_a_view_over_a_file_renames_and_casts_its_columns_and_is_dropped_like_a_table(
    engine: SqlEngine, tmp_path: Path
) -> None:
    pq.write_table(pa.table({"Who": ["a", "b"], "yen": [1, 2]}), tmp_path / "in.parquet")
    source = engine.register_file(engine.temp_name("f"), tmp_path / "in.parquet")
    i = engine.ident
    view = engine.create_view(
        engine.temp_name("v"), f"SELECT {i('Who')} AS who, CAST({i('yen')} AS DOUBLE) AS yen FROM {i(source)}"
    )
    assert engine.columns(view) == ["who", "yen"] and engine.count(view) == 2
    assert engine.query(f"SELECT who, yen FROM {i(view)} ORDER BY who").to_pylist() == [
        {"who": "a", "yen": 1.0},
        {"who": "b", "yen": 2.0},
    ]
    engine.drop(view)
    with pytest.raises(EngineError):
        engine.count(view)
    engine.drop(source)


def test_batches_are_loaded_into_a_table_and_results_streamed_out(engine: SqlEngine) -> None:
    """Data reaches the engine and leaves it batch by batch, as it is, in either direction."""
    schema = pa.schema([("n", pa.int64()), ("who", pa.string())])
    batches = [pa.record_batch([pa.array(range(i, i + 3)), pa.array(["a", None, "ü"])], schema=schema)
               for i in (0, 3, 6)]  # fmt: skip
    t = engine.load_batches(engine.temp_name("b"), pa.RecordBatchReader.from_batches(schema, iter(batches)))
    expected = pa.Table.from_batches(batches).to_pylist()
    assert engine.query(f"SELECT n, who FROM {engine.ident(t)} ORDER BY n").to_pylist() == expected
    out = engine.stream(f"SELECT n, who FROM {engine.ident(t)} ORDER BY n", rows=4)
    streamed = list(out)
    assert out.schema.names == ["n", "who"] and sum(b.num_rows for b in streamed) == 9
    assert pa.Table.from_batches(streamed).to_pylist() == expected
    empty = engine.load_batches(engine.temp_name("e"), pa.RecordBatchReader.from_batches(schema, iter([])))
    assert engine.count(empty) == 0 and engine.columns(empty) == ["n", "who"]
    for name in (t, empty):
        engine.drop(name)


def test_register_csv_and_parquet(engine: SqlEngine, tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text("a;b\n1;x\n2;y\n", encoding="utf-8")
    name = engine.register_file("csv_in", csv, delimiter=";")
    assert engine.count(name) == 2
    out = engine.write_parquet(f"SELECT * FROM {engine.ident(name)}", tmp_path / "out.parquet")
    assert pq.read_table(out).num_rows == 2
    assert engine.count(engine.register_file("pq_in", out)) == 2
    with pytest.raises(InputError):
        engine.register_file("none", tmp_path / "missing.csv")


def test_write_parquet_is_atomic(engine: SqlEngine, tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    with pytest.raises(EngineError):
        engine.write_parquet("SELECT no_such_column FROM no_such_table", target)
    assert list(tmp_path.iterdir()) == []
    engine.write_parquet(pa.table({"n": [1, 2]}), target)
    assert pq.read_table(target).column("n").to_pylist() == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_errors_withhold_values() -> None:
    with get_engine() as engine:
        t = engine.register_arrow("secret", pa.table({"v": ["山田太郎"]}))
        with pytest.raises(EngineError) as info:
            engine.query(f"SELECT CAST(v AS INTEGER) FROM {engine.ident(t)}")
    assert "山田太郎" not in str(info.value)


def test_unknown_engine_and_bad_identifier() -> None:
    with pytest.raises(EngineError):
        get_engine("oracle")
    with get_engine() as engine, pytest.raises(InputError):
        engine.ident("")


def test_the_engine_setting_offers_exactly_the_engines() -> None:
    """HOGO_ENGINE is validated when settings load; its choices are the engines there are."""
    from typing import get_args

    from hogo.config import Settings
    from hogo.engines import available_engines

    assert list(get_args(Settings.model_fields["engine"].annotation)) == available_engines()


def test_the_dialect_spells_hmac_hashes_and_sorted_lists(engine: SqlEngine) -> None:
    """What used to branch on the engine's name: each backend's spelling gives the same results."""
    from hogo.matching.tokens import TokenKey

    key, i = TokenKey(b"k" * 32), engine.ident
    t = engine.register_arrow(engine.temp_name("t"), pa.table({"g": [1, 1, 2], "v": ["b", "a", "メール"]}))
    assert engine.dialect.has_sha256
    token, params = key.sql(engine, "email", i("v"))
    d = engine.dialect
    rows = engine.query(
        f"SELECT {i('v')} AS v, {token} AS tok, {d.hex(token)} AS tok_hex, {d.token_from_hex(d.hex(token))} AS back, "
        f"{d.hash64(i('v'))} AS h, {d.hash64(d.cast_string(i('v')))} AS h2 FROM {i(t)} ORDER BY {i('g')}, v",
        params,
    ).to_pylist()
    # 32 bytes in the engine, the 64 hex digits of the reference token in files, and back
    assert [r["tok_hex"] for r in rows] == [key.token("email", r["v"]) for r in rows]
    assert (
        [r["tok"] for r in rows] == [r["back"] for r in rows] == [bytes.fromhex(r["tok_hex"]) for r in rows]
    )
    assert all(r["h"] == r["h2"] for r in rows) and len({r["h"] for r in rows}) == 3
    lists = engine.query(
        f"SELECT {i('g')} AS g, {engine.dialect.sorted_list(i('v'))} AS l FROM {i(t)} GROUP BY {i('g')} ORDER BY g"
    )
    assert lists.column("l").to_pylist() == [["a", "b"], ["メール"]]
    engine.drop(t)


def test_text_that_is_not_a_token_never_meets_one(engine: SqlEngine) -> None:
    """A partner's token file may hold upper case, empty or broken values: each becomes bytes no
    token has (longer than 32), the same text the same bytes, different texts different bytes."""
    token = "ab" * 32
    texts = [token, token.upper(), "", "", "zz", token[:-1], None]
    t = engine.register_arrow(engine.temp_name("t"), pa.table({"n": range(len(texts)), "v": texts}))
    got = (
        engine.query(
            f"SELECT {engine.dialect.token_from_hex(engine.ident('v'))} AS b FROM {engine.ident(t)} ORDER BY n"
        )
        .column("b")
        .to_pylist()
    )
    engine.drop(t)
    assert got[0] == bytes.fromhex(token) and got[-1] is None
    others = got[1:-1]
    assert all(len(b) > 32 for b in others) and others[1] == others[2]
    assert len({others[0], others[1], others[3], others[4]}) == 4


def test_an_engine_out_of_memory_says_which_setting_to_raise(tmp_path: Path) -> None:
    with (
        get_engine("duckdb", memory_limit="20MB", temp_directory=tmp_path) as engine,
        pytest.raises(EngineError, match="HOGO_ENGINE_MEMORY_LIMIT"),
    ):
        engine.query("SELECT list(range) AS l FROM range(20000000) GROUP BY range % 3")


@pytest.mark.spark
def test_spark_reads_data_from_python_from_a_private_file_in_its_scratch_folder(
    spark_engine: SqlEngine, tmp_path: Path
) -> None:
    """On a local master, batches and Arrow tables reach Spark as a 0600 Parquet file in the run's
    scratch folder (not through the driver's heap), gone when the table is dropped; a table filled
    by inserts holds every part once."""
    from hogo.engines.spark import SparkEngine

    assert isinstance(spark_engine, SparkEngine)
    scratch = tmp_path / "spill"
    scratch.mkdir()
    engine = SparkEngine(spark_engine.spark, temp_directory=scratch)  # the running session, used as is
    schema = pa.schema([("n", pa.int64())])
    batches = [pa.record_batch([pa.array(range(i, i + 5))], schema=schema) for i in (0, 5)]
    t = engine.load_batches(engine.temp_name("b"), pa.RecordBatchReader.from_batches(schema, iter(batches)))
    files = list(scratch.glob("*/data.parquet"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o777 == 0o600
    assert files[0].parent.stat().st_mode & 0o777 == 0o700
    filled = engine.create_table_as(engine.temp_name("f"), f"SELECT n FROM {engine.ident(t)} WHERE n < 3")
    for low in (3, 6):
        engine.insert_into(filled, f"SELECT n FROM {engine.ident(t)} WHERE n >= ? AND n < ?", [low, low + 3])
    assert [
        r["n"] for r in engine.query(f"SELECT n FROM {engine.ident(filled)} ORDER BY n").to_pylist()
    ] == list(range(9))
    engine.drop(filled)
    engine.drop(t)
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("encoding", ["cp932", "utf-16", "utf-8-sig"])
def test_a_csv_from_excel_is_read_in_its_encoding(engine: SqlEngine, tmp_path: Path, encoding: str) -> None:
    """Was: "cannot read file" for Shift_JIS (the engines read UTF-8 only); read as every
    spreadsheet hogo reads is (`files.csv_table`)."""
    text = "年齢;都道府県\r\n34;東京都\r\n45;大阪府\r\n"
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    plain.write_text(text, encoding="utf-8", newline="")
    excel.write_bytes(text.encode(encoding))
    rows = []
    for name, path in (("plain_in", plain), ("excel_in", excel)):
        registered = engine.register_file(name, path, delimiter=";")
        rows.append(engine.query(f"SELECT * FROM {engine.ident(registered)} ORDER BY 1").to_pylist())
    assert rows[1] == rows[0] == [{"年齢": 34, "都道府県": "東京都"}, {"年齢": 45, "都道府県": "大阪府"}]


def test_a_csv_cut_in_a_character_is_refused_naming_its_line(engine: SqlEngine, tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_bytes("年齢,都道府県\r\n34,東京都\r\n45,大阪".encode()[:-1])
    with pytest.raises(InputError) as info:
        engine.register_file("cut_in", path)
    assert "line 3" in info.value.en and "cut short" in info.value.en
