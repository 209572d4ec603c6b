"""Match report and resolution: counts, overlaps and conflicts on a hand-checked example."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pytest

from hogo.engines import SqlEngine, get_engine
from hogo.matching.keys import KeyKind, token_column, tokenize_table
from hogo.matching.match import build_match_pairs, match_report, resolve_matches
from hogo.matching.normalize import EmailRules
from hogo.matching.tokens import TokenKey

KEYS = ["email_token", "phone_token"]


@pytest.fixture
def engine() -> Iterator[SqlEngine]:
    with get_engine() as e:
        # member a and b share an e-mail token (a family address): a conflict
        e.register_arrow(
            "members",
            pa.table(
                {
                    "member_id": ["a", "b", "c", "d"],
                    "email_token": ["e1", "e1", "e3", None],
                    "phone_token": ["p1", "p2", "p3", "p4"],
                }
            ),
        )
        e.register_arrow(
            "partner",
            pa.table(
                {
                    "row": [2, 3, 4, 5, 6],
                    "email_token": ["e1", "e3", "e3", "x", None],
                    "phone_token": ["p2", "p3", "p4", "p9", "p4"],
                }
            ),
        )
        yield e


def test_report_counts(engine: SqlEngine) -> None:
    report = match_report(engine, "members", "partner", KEYS)
    email, phone = report.keys
    assert (email.member_rows_with_key, email.member_distinct_tokens) == (3, 2)
    assert (email.partner_rows_with_key, email.partner_distinct_tokens) == (4, 3)
    assert email.overlapping_tokens == 2
    assert (email.member_conflict_tokens, email.members_in_conflicts) == (1, 2)
    assert email.partner_duplicate_tokens == 1
    assert (phone.matched_members, phone.matched_partner_rows) == (3, 4)
    assert report.members == 4 and report.partner_rows == 5
    # rows 2 (a/b by e-mail, b by phone) and 4 (c by e-mail, d by phone) are ambiguous
    assert (report.matched_partner_rows, report.unambiguous_partner_rows, report.ambiguous_partner_rows) == (
        4,
        2,
        2,
    )
    assert report.cross_key_conflicts == 2
    assert report.overlaps == {"email_token+phone_token": 3, "phone_token": 1}
    assert "hogo_pairs" not in str(
        engine.query("SELECT table_name FROM information_schema.tables").to_pylist()
    )


def test_resolution_keeps_only_single_member_links(engine: SqlEngine) -> None:
    pairs = build_match_pairs(engine, "members", "partner", KEYS)
    resolved = engine.query(
        f"SELECT * FROM {engine.ident(resolve_matches(engine, pairs))} ORDER BY partner_id"
    )
    assert resolved.to_pylist() == [
        {"partner_id": 3, "member_id": "c", "keys_matched": 2},
        {"partner_id": 6, "member_id": "d", "keys_matched": 1},
    ]


def test_tokenized_tables_match_end_to_end() -> None:
    """Both sides tokenise their own raw data; messy partner formats still meet the member's."""
    key = TokenKey(b"0123456789abcdef0123456789abcdef")
    fields = {"email": KeyKind.email, "phone": KeyKind.phone}
    members = pa.table(
        {
            "member_id": ["M1", "M2"],
            "email": ["taro.sato@gmail.com", "hanako@yahoo.co.jp"],
            "phone": ["090-1234-5678", "03-1234-5678"],
        }
    )
    partner = pa.table(
        {
            "email": [" TaroSato+shop@GMAIL.com", "ｈａｎａｋｏ＠ｙａｈｏｏ．ｃｏ．ｊｐ", "not-an-address"],
            "phone": ["+81 90 1234 5678", "（03）1234ー5678", "12"],
        }
    )
    rules = EmailRules.gmail()
    ours, _ = tokenize_table(members, key, fields, keep=["member_id"], rules=rules, with_row_numbers=False)
    theirs, reports = tokenize_table(partner, key, fields, rules=rules, row_offset=2)
    assert "email" not in theirs.column_names and "phone" not in theirs.column_names
    assert [r.invalid_rows for r in reports] == [[4], [4]]
    with get_engine() as e:
        e.register_arrow("m", ours)
        e.register_arrow("p", theirs)
        report = match_report(e, "m", "p", [token_column("email"), token_column("phone")])
    assert report.unambiguous_partner_rows == 2
    assert report.overlaps == {"email_token+phone_token": 2}


def test_kept_identifier_is_refused() -> None:
    key = TokenKey(b"0123456789abcdef0123456789abcdef")
    with pytest.raises(ValueError):
        tokenize_table(pa.table({"email": ["a@b.jp"]}), key, {"email": KeyKind.email}, keep=["email"])
