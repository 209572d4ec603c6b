"""Bad input, as a table (issue 10 finding 18): every case is refused with a HogoError that says
where (row/line and field), never a traceback, never stored half, never a silent last-wins or
mojibake, and never echoes a long value back.

Surfaces: subject and consent CSV imports, the 管理台帳 CSV/YAML, readiness CSV/YAML, policy YAML,
release specs (parse level: dates and nesting; path rules are the release spec's own tests).
API cases are in tests/api/test_bad_input_api.py, store-level NUL cases in tests/cli.
"""

from __future__ import annotations

import codecs
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from hogo.errors import HogoError, InputError
from hogo.files.consent_csv import parse_events, parse_subjects, raise_for_problems
from hogo.files.csv_table import decode, detect_encoding
from hogo.files.inventory_io import parse_inventory_csv, parse_inventory_yaml
from hogo.files.playbook_yaml import parse_playbooks
from hogo.files.policy_yaml import parse_policy
from hogo.files.readiness_inventory import read_csv as read_readiness_csv
from hogo.files.readiness_inventory import read_yaml as read_readiness_yaml
from hogo.release.spec import load_spec
from tests.factories import POLICY

MB = 1024 * 1024
LIMIT = 131_072
SUBJECT_HEAD = "subject_id,birth_date,identity_verified\r\n"
EVENT_HEAD = "event_id,subject_id,purpose_id,action,terms_version,method,collected_at\r\n"
EVENT_OK = "e1,S1,ad_partners,grant,2021-07,web_form,2021-08-01T10:00+09:00\r\n"
INVENTORY_HEAD = "id,name,data_categories,purposes,subjects,count,encryption\r\n"
READINESS_HEAD = "id,kind,name,last_patched_on,mfa,exposed_ports\r\n"


@dataclass(frozen=True)
class Case:
    surface: str
    name: str
    data: bytes | str
    row: int | None = None  # the row/line the message must name
    field: str | None = None  # the field the message must name
    says: str = ""  # a phrase of the English message
    secret: str = ""  # a value that must not appear in the message


def _read_subjects(path: Path) -> None:
    raise_for_problems(parse_subjects(path).problems)


def _read_events(path: Path) -> None:
    raise_for_problems(parse_events(path).problems)


def _file(reader: Callable[[Path], object], name: str) -> Callable[[bytes | str, Path], object]:
    def run(data: bytes | str, tmp: Path) -> object:
        path = tmp / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return reader(path)

    return run


def _text(reader: Callable[[str], object]) -> Callable[[bytes | str, Path], object]:
    return lambda data, _tmp: reader(data if isinstance(data, str) else data.decode("utf-8"))


def _raw(reader: Callable[[bytes], object]) -> Callable[[bytes | str, Path], object]:
    return lambda data, _tmp: reader(data if isinstance(data, bytes) else data.encode("utf-8"))


READERS: dict[str, Callable[[bytes | str, Path], object]] = {
    "subjects.csv": _file(_read_subjects, "subjects.csv"),
    "events.csv": _file(_read_events, "events.csv"),
    "inventory.csv": _raw(lambda b: parse_inventory_csv(b, "inventory.csv")),
    "readiness.csv": _raw(read_readiness_csv),
    "inventory.yaml": _text(lambda t: parse_inventory_yaml(t, "inventory.yaml")),
    "readiness.yaml": _raw(read_readiness_yaml),
    "policy.yaml": _text(lambda t: parse_policy(t, "policy.yaml")),
    "playbooks.yaml": _text(lambda t: parse_playbooks(t, "playbooks.yaml")),
    "release.yaml": _file(load_spec, "release.yaml"),
}
CSV_HEADS = {
    "subjects.csv": (SUBJECT_HEAD, "S1,1980-01-01,true\r\n"),
    "events.csv": (EVENT_HEAD, EVENT_OK),
    "inventory.csv": (INVENTORY_HEAD, "crm,顧客,contact,service,all,10,standard\r\n"),
    "readiness.csv": (READINESS_HEAD, "vpn-1,vpn_gateway,本社VPN,2024-01-10,yes,443\r\n"),
}


def _csv_families() -> list[Case]:
    """The same file-level faults for every CSV import."""
    cases = []
    for surface, (head, good) in CSV_HEADS.items():
        first = head.split(",")[0]
        width = head.count(",") + 1
        cases += [
            Case(surface, "utf-16 without BOM", (head + good).encode("utf-16-le"), 1, None, "NUL"),
            Case(
                surface,
                "utf-32 with BOM, undecodable",
                codecs.BOM_UTF32_LE + b"\x00\x00\x00",
                1,
                None,
                "not valid utf-32",
            ),
            Case(
                surface,
                "CP932 file with a pasted UTF-8 row",
                head.encode() + "x1,経理部\r\n".encode("cp932") + "x2,経理部\r\n".encode(),
                3,
                None,
                "UTF-8 while",
            ),
            Case(
                surface,
                "UTF-8 file with a pasted CP932 row",
                head.encode() + "x1,経理部\r\n".encode() + "x2,経理部\r\n".encode("cp932"),
                2,
                None,
                "UTF-8 while",
            ),
            Case(
                surface,
                "bytes valid in neither encoding",
                head.encode() + b"\x81\x7f\xff,x\r\n",
                2,
                None,
                "not valid UTF-8",
            ),
            Case(
                surface,
                "NUL byte in a UTF-8 cell",
                (head + good).encode() + b"a\x00b" + b",x" * (width - 1),
                3,
                None,
                "contains NUL",
            ),
            Case(
                surface,
                "cell over the csv limit",
                head + good + "a" * (LIMIT + 1) + "," * (width - 1) + "\r\n",
                3,
                None,
                f"longer than {LIMIT:,}",
                "a" * 40,
            ),
            Case(
                surface,
                "quoted cell over the csv limit",
                head + '"' + "b" * (LIMIT + 1) + '"' + ",x" * (width - 1),
                2,
                None,
                f"longer than {LIMIT:,}",
                "b" * 40,
            ),
            Case(
                surface, "unclosed quote on row 3", head + good + '"x,y\r\n' + good, 3, None, "unclosed quote"
            ),
            Case(
                surface,
                "header of 100k columns",
                head.strip() + "," + ",".join(f"c{i}" for i in range(100_000)),
                1,
                None,
                "",
                "c99999",
            ),
            Case(
                surface,
                "Shift_JIS file cut in a character (was: named its header's line as not UTF-8)",
                head.encode() + "x1,経理部\r\n".encode("cp932") + "x2,経理".encode("cp932")[:-1],
                3,
                None,
                "cut short",
            ),
            Case(
                surface,
                "UTF-8 file cut in a character",
                head.encode() + "x1,経理部\r\n".encode() + "x2,経理".encode()[:-1],
                3,
                None,
                "cut short",
            ),
            Case(
                surface,
                "Shift_JIS file with a bad byte after Japanese lines (was: named the first Japanese line)",
                head.encode() + "x1,経理部\r\n".encode("cp932") + b"x2,\x81\x7f\r\n",
                3,
                None,
                "not valid Shift_JIS",
            ),
            Case(surface, "row shifted by one cell on row 2", head + good.strip() + ",extra\r\n", 2),
            Case(surface, "empty file", b"", None, None, "empty"),
            Case(surface, "header only without the id column", head.replace(first + ",", "zz,", 1) + good, 1),
        ]
    cases.append(
        Case("subjects.csv", "cell of 50 MB (was: unclosed quote)", SUBJECT_HEAD + '"' + "z" * (50 * MB), 2, None,
             f"longer than {LIMIT:,}", "z" * 40)
    )  # fmt: skip
    return cases


def _id_families() -> list[Case]:
    """Ids outside the alphabet, in every import that takes them."""
    bad_ids = {
        "unit separator": "a\x1fb",
        "escape": "a\x1bb",
        "DEL": "a\x7fb",
        "slash": "a/b",
        "inner space": "a b",
        "ideographic": "山田太郎",
        "formula start": "=1+1",
        "129 characters": "x" * 129,
        "emoji": "a🙂",
        "percent": "a%2Fb",
        "backslash": "a\\b",
        "quote": "a'b",
    }
    cases = []
    for label, value in bad_ids.items():
        cell = '"' + value + '"' if any(c in value for c in '," ') else value
        cases += [
            Case("subjects.csv", f"subject_id {label}", f"{SUBJECT_HEAD}{cell},1980-01-01,true\r\n", 2, "subject_id"),
            Case("events.csv", f"event subject_id {label}",
                 f"{EVENT_HEAD}e1,{cell},ad_partners,grant,2021-07,web_form,2021-08-01\r\n", 2, "subject_id"),
            Case("events.csv", f"event_id {label}",
                 f"{EVENT_HEAD}{cell},S1,ad_partners,grant,2021-07,web_form,2021-08-01\r\n", 2, "event_id"),
            Case("events.csv", f"purpose_id {label}",
                 f"{EVENT_HEAD}e1,S1,{cell},grant,2021-07,web_form,2021-08-01\r\n", 2, "purpose_id"),
            Case("inventory.csv", f"dataset id {label}", f"{INVENTORY_HEAD}{cell},顧客,,,,1,standard\r\n", 2, "id"),
        ]  # fmt: skip
    return cases


def _row_cases() -> list[Case]:
    def event(collected: str = "2021-08-01", **cells: str) -> str:
        values = {"event_id": "e1", "subject_id": "S1", "purpose_id": "ad_partners", "action": "grant",
                  "terms_version": "2021-07", "method": "web_form", "collected_at": collected, **cells}  # fmt: skip
        return EVENT_HEAD + EVENT_OK.replace("e1,", "e0,") + ",".join(values.values()) + "\r\n"

    return [
        Case("events.csv", "collected_at 0001-01-01T00:00+09:00", event("0001-01-01T00:00+09:00"), 3,
             "collected_at", "out of range"),
        Case("events.csv", "collected_at 9999-12-31T23:59:59-12:00", event("9999-12-31T23:59:59-12:00"), 3,
             "collected_at", "out of range"),
        Case("events.csv", "collected_at 2023-02-29", event("2023-02-29"), 3, "collected_at"),
        Case("events.csv", "collected_at words", event("yesterday"), 3, "collected_at"),
        Case("events.csv", "collected_at 24:61", event("2023-01-01T24:61"), 3, "collected_at"),
        Case("events.csv", "action unknown", event(action="maybe"), 3, "action"),
        Case("events.csv", "method unknown", event(method="telepathy"), 3, "method"),
        Case("events.csv", "purpose_id of 65 characters", event(purpose_id="p" * 65), 3, "purpose_id"),
        Case("events.csv", "bundled grant without terms", event(purpose_id="*", terms_version=""), 3),
        *_longer_than_the_store(),
        Case("subjects.csv", "birth_date 2023-02-29", SUBJECT_HEAD + "S1,2023-02-29,true\r\n", 2, "birth_date"),
        Case("subjects.csv", "email without a domain (was: kept)", "subject_id,email\r\nS1,hanako.secret@\r\n", 2,
             "email", "not an e-mail address", "hanako.secret"),
        Case("subjects.csv", "phone in words (was: kept)", "subject_id,phone\r\nS1,secret-number\r\n", 2, "phone",
             "not a telephone number", "secret-number"),
        Case("subjects.csv", "phone of 40 digits (was: a traceback naming the row's values on PostgreSQL)",
             "subject_id,email,phone\r\nS1,hanako@example.jp," + "9" * 40 + "\r\n", 2, "phone", "", "hanako@"),
        Case("subjects.csv", "email of 321 characters", "subject_id,email\r\nS1," + "h" * 310 + "@example.jp\r\n",
             2, "email", "", "h" * 40),
        Case("subjects.csv", "birth_date 1899-12-31 (was: kept; the API holds 1900–2099)",
             SUBJECT_HEAD + "S1,1899-12-31,true\r\n", 2, "birth_date", "1900"),
        Case("subjects.csv", "birth_date 9999-12-31 (was: kept, a person not yet born)",
             SUBJECT_HEAD + "S1,9999-12-31,true\r\n", 2, "birth_date", "2099"),
        Case("subjects.csv", "identity_verified maybe", SUBJECT_HEAD + "S1,,maybe\r\n", 2, "identity_verified"),
        Case("subjects.csv", "same id twice keeps the last (was)", SUBJECT_HEAD + "S1,1980-01-01,true\r\n"
             "S2,,false\r\nS1,1990-01-01,false\r\n", 4, "subject_id", "same id as row 2"),
        Case("subjects.csv", "same id twice after trimming", SUBJECT_HEAD + "S1,,true\r\n S1 ,,false\r\n", 3,
             "subject_id"),
        Case("subjects.csv", "full-width id normalised to a duplicate", SUBJECT_HEAD + "S1,,true\r\nＳ１,,false\r\n",
             3, "subject_id"),
        Case("inventory.csv", "duplicate dataset id", INVENTORY_HEAD + "a,x,,,,1,standard\r\na,y,,,,1,standard\r\n",
             None, "id"),
        Case("inventory.csv", "count negative", INVENTORY_HEAD + "a,x,,,,-1,standard\r\n", 2, "count"),
        Case("inventory.csv", "count words", INVENTORY_HEAD + "a,x,,,,many,standard\r\n", 2, "count"),
        Case("inventory.csv", "encryption unknown", INVENTORY_HEAD + "a,x,,,,1,rot13\r\n", 2, "encryption"),
        Case("readiness.csv", "date 2023-02-29", READINESS_HEAD + "a,pc,x,2023-02-29,,\r\n", 2, "last_patched_on"),
        Case("readiness.csv", "flag maybe", READINESS_HEAD + "a,pc,x,,maybe,\r\n", 2, "mfa"),
        Case("readiness.csv", "ports words", READINESS_HEAD + "a,pc,x,,,https\r\n", 2, "exposed_ports"),
        Case("readiness.csv", "error on row 3 named row 3", READINESS_HEAD + "a,pc,x,,,\r\nb,pc,y,,maybe,\r\n", 3,
             "mfa"),
        Case("readiness.csv", "multi-line cell keeps row numbers", READINESS_HEAD + 'a,pc,"two\nlines",,,\r\n'
             "b,pc,y,,maybe,\r\n", 3, "mfa"),
        Case("readiness.csv", "unknown 1 MB header", "id,kind," + "h" * (LIMIT - 10) + "\r\n", 1, None, "", "h" * 40),
    ]  # fmt: skip


def _longer_than_the_store() -> list[Case]:
    """Free text longer than its column (was: stored whole on SQLite, a traceback naming every value
    of the row on PostgreSQL)."""
    head = EVENT_HEAD.replace("\r\n", ",guardian_name,guardian_relation,evidence\r\n")
    ok = EVENT_OK.replace("\r\n", ",母 花子,母,form#1\r\n")
    cases = []
    for name, limit in (
        ("terms_version", 64),
        ("guardian_name", 256),
        ("guardian_relation", 64),
        ("evidence", 512),
    ):
        cells = dict(zip(head.strip().split(","), ok.replace("e1,", "e2,").strip().split(","), strict=True))
        cells[name] = "名" * (limit + 1)
        row = ",".join(cells.values()) + "\r\n"
        cases.append(
            Case("events.csv", f"{name} of {limit + 1} characters", head + ok + row, 3, name, "", "名" * 40)
        )
    return cases


def _yaml_families() -> list[Case]:
    deep = "a: " + "[" * 5000 + "]" * 5000 + "\n"
    block = "".join("  " * i + f"k{i}:\n" for i in range(200))
    families = {
        "alias": ("x: &a {k: 1}\ny: *a\n", 1, "anchors"),
        "billion laughs": ("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", 1, "anchors"),
        "duplicate key": ("x: 1\ny: 2\nx: 3\n", 3, "same key"),
        "NUL": ("x: 1\ny: a\x00b\n", 2, "NUL"),
        "escaped NUL": ('x: 1\ny: "a\\0b"\n', 2, "control characters"),
        "escaped \\x1f": ('x: "a\\x1fb"\n', 1, "control characters"),
        "deep flow nesting": (deep, 1, "nested too deeply"),
        "deep block nesting": (block, None, "nested too deeply"),
        "unquoted 2023-02-29": ("x: 1\ny: 2023-02-29\n", 2, "does not exist"),
        "unquoted 2023-04-31": ("y: 2023-04-31\n", 1, "does not exist"),
        "broken syntax": ("x: [1, 2\ny: 3\n", None, "not valid YAML"),
    }
    cases = []
    for surface in ("policy.yaml", "inventory.yaml", "readiness.yaml", "playbooks.yaml", "release.yaml"):
        for label, (text, line, says) in families.items():
            cases.append(Case(surface, label, text, line, None, says))
        cases.append(Case(surface, "a list, not a mapping", "- a\n- b\n"))
    return cases


def _policy(**changes: object) -> str:
    data = yaml.safe_load(yaml.safe_dump(POLICY))
    for path, value in changes.items():
        section, index, key = path.split("__")
        data[section][int(index)][key] = value
    return yaml.safe_dump(data, allow_unicode=True)


def _policy_cases() -> list[Case]:
    return [
        Case("policy.yaml", "country ZZ", _policy(recipients__0__country="ZZ"), None, "recipients.0.country", "ISO"),
        Case("policy.yaml", "country UK (GB is the code)", _policy(recipients__0__country="UK"), None,
             "recipients.0.country", "ISO"),
        Case("policy.yaml", "country EU", _policy(recipients__0__country="EU"), None, "recipients.0.country"),
        Case("policy.yaml", "country lower case", _policy(recipients__0__country="jp"), None, "recipients.0.country"),
        Case("policy.yaml", "country XK (not ISO)", _policy(recipients__0__country="XK"), None,
             "recipients.0.country"),
        Case("policy.yaml", "country three letters", _policy(recipients__0__country="JPN"), None,
             "recipients.0.country"),
        Case("policy.yaml", "recipient id with slash", _policy(recipients__0__id="a/b"), None, "recipients.0.id"),
        Case("policy.yaml", "purpose id of 1 MB", _policy(purposes__0__id="p" * MB), None, "purposes.0.id", "",
             "p" * 40),
        Case("policy.yaml", "purpose id with colon", _policy(purposes__0__id="a:b"), None, "purposes.0.id"),
        Case("policy.yaml", "category id with space", _policy(data_categories__0__id="a b"), None,
             "data_categories.0.id"),
        Case("release.yaml", "at: 2023-02-29", "mode: personal\npurpose: p\nrecipient: r\nat: 2023-02-29\n", 4,
             None, "does not exist"),
        Case("release.yaml", "at quoted 2023-02-29", 'mode: personal\npurpose: p\nrecipient: r\nat: "2023-02-29"\n',
             None, "at"),
        Case("release.yaml", "purpose id with slash", "mode: personal\npurpose: a/b\nrecipient: r\n", None,
             "purpose"),
        Case("release.yaml", "recipient of 1 MB", "mode: personal\npurpose: p\nrecipient: " + "r" * MB + "\n", None,
             "recipient", "", "r" * 40),
    ]  # fmt: skip


CASES = _csv_families() + _id_families() + _row_cases() + _yaml_families() + _policy_cases()


def test_the_table_is_as_large_as_the_teams() -> None:
    assert len(CASES) >= 162
    assert len({(c.surface, c.name) for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.surface}: {c.name}" for c in CASES])
def test_bad_input_is_refused_clearly(case: Case, tmp_path: Path) -> None:
    with pytest.raises(HogoError) as info:
        READERS[case.surface](case.data, tmp_path)
    error = info.value
    text = f"{error.ja}\n{error.en}"
    assert len(text) < 4000, "messages stay short whatever the input"
    if case.row is not None:
        assert isinstance(error, InputError)
        named = {error.row} | {int(w) for w in _numbers_after(error.en, ("row", "line"))}
        assert case.row in named, error.en
    if case.field is not None:
        assert case.field in (getattr(error, "field", None) or "") + error.en, error.en
    assert case.says in error.en
    if case.secret:
        assert case.secret not in text


def _numbers_after(text: str, words: tuple[str, ...]) -> list[str]:
    tokens = text.replace(":", " ").replace(",", " ").replace("(", " ").split()
    return [b for a, b in itertools.pairwise(tokens) if a in words and b.isdigit()]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_with_a_bom_are_read(encoding: str, tmp_path: Path) -> None:
    """Was "required columns missing"; a file saved as Unicode text by Excel is read by its BOM."""
    path = tmp_path / "subjects.csv"
    data = (SUBJECT_HEAD + "S1,1980-01-01,true\r\n").encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path.write_bytes(data)
    parsed = parse_subjects(path)
    assert [s.subject_id for s in parsed.items] == ["S1"] and not parsed.problems


def test_plain_cp932_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "subjects.csv"
    path.write_bytes((SUBJECT_HEAD + "S1,1980-01-01,はい\r\n").encode("cp932"))
    assert [s.identity_verified for s in parse_subjects(path).items] == [True]


CUT = {
    "Shift_JIS cut in a character": SUBJECT_HEAD.encode()
    + "S1,,済\r\n".encode("cp932")
    + "S2,,済".encode("cp932")[:-1],
    "UTF-8 cut in a character": SUBJECT_HEAD.encode() + "S1,,済\r\n".encode() + "S2,,済".encode()[:-1],
    "Shift_JIS with a bad byte": SUBJECT_HEAD.encode() + "S1,,済\r\n".encode("cp932") + b"S2,\x81\x7f,\r\n",
}


@pytest.mark.parametrize("block", [8, 1 << 20])
@pytest.mark.parametrize("name", list(CUT))
def test_a_streamed_file_is_refused_as_a_whole_one_is(name: str, block: int, tmp_path: Path) -> None:
    """`hogo consent import` settles the encoding over the file in blocks (`csv_table.detect_encoding`):
    the same message, naming the same line, as the reader of whole files (`csv_table.decode`)."""
    path = tmp_path / "subjects.csv"
    path.write_bytes(CUT[name])
    with pytest.raises(InputError) as whole:
        decode(CUT[name], str(path))
    with pytest.raises(InputError) as streamed:
        detect_encoding(path, block)
    assert (streamed.value.ja, streamed.value.en) == (whole.value.ja, whole.value.en)


def test_an_ascii_file_whose_one_shift_jis_character_comes_last_is_read(tmp_path: Path) -> None:
    """Its last character is a cut UTF-8 one too (EA A3: a lead byte and one continuation byte),
    but a file of ASCII and then Shift_JIS is Shift_JIS, not a file cut short."""
    data = "subject_id,email\r\nS1,a@example.jp\r\nS2,凜".encode("cp932")
    assert decode(data, "CSV") == (data.decode("cp932"), "cp932")
    path = tmp_path / "subjects.csv"
    path.write_bytes(data)
    assert detect_encoding(path, 8) == "cp932"


def test_a_file_of_repeated_ids_is_refused_in_linear_time(tmp_path: Path) -> None:
    """Every repeated subject id is named by its row (the later one), and finding the rows does not
    scan the file once per repeat (was: 10 s for 20,000 repeats, hours for a file exported twice)."""
    n = 60_000
    path = tmp_path / "subjects.csv"
    path.write_text(
        SUBJECT_HEAD + "".join(f"S{i},,true\r\nS{i},,false\r\n" for i in range(n)), encoding="utf-8"
    )
    began = time.perf_counter()
    parsed = parse_subjects(path)
    assert time.perf_counter() - began < 15
    assert [p.row for p in parsed.problems] == [2 * i + 3 for i in range(n)]
    assert [r.number for r in parsed.rejected] == [2 * i + 3 for i in range(n)]
    assert [s.identity_verified for s in parsed.items] == [True] * n
