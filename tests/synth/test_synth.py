"""Synthetic data: seeded, consistent with Japan Post data, messy where partners are messy."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from hogo.cli.app import app
from hogo.domain.consent import ALL_PURPOSES_IN_TERMS, ConsentAction, ConsentEvent
from hogo.matching.normalize import EmailRules, normalize_email_array, normalize_phone_array
from hogo.synth.generate import DEFAULT_AS_OF, FILES, SynthSpec, generate, read
from hogo.synth.people import STRANGER_BASE, SUBSCRIBERS, members_chunk, stranger_base
from hogo.synth.vocab import postal_table

SPEC = SynthSpec(members=3000, partner_rows=2000, overlap=0.6, seed=42, chunk_size=1300)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth")
    generate(SPEC, path)
    return path


def test_files_and_sizes(out: Path) -> None:
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.parquet" for name in FILES)
    assert read(out, "members").num_rows == 3000
    assert read(out, "partner_customers").num_rows == 2000
    member_ids = read(out, "members").column("member_id")
    assert pc.count_distinct(member_ids).as_py() == 3000


def test_same_seed_same_data_other_seed_other_data(out: Path, tmp_path: Path) -> None:
    generate(SPEC, tmp_path / "again")
    for name in FILES:
        assert read(out, name).equals(read(tmp_path / "again", name))
    generate(SPEC.model_copy(update={"seed": 43}), tmp_path / "other")
    assert not read(out, "members").equals(read(tmp_path / "other", "members"))


def test_addresses_agree_with_japan_post(out: Path) -> None:
    members = read(out, "members")
    postal = postal_table()
    known = {
        (c, p, city)
        for c, p, city in zip(
            postal.code.to_pylist(), postal.prefecture.to_pylist(), postal.city.to_pylist(), strict=True
        )
    }
    for row in members.select(["postal_code", "prefecture", "city"]).to_pylist():
        assert (row["postal_code"].replace("-", ""), row["prefecture"], row["city"]) in known
    tokyo = pc.sum(pc.equal(members.column("prefecture"), "東京都")).as_py()
    tottori = pc.sum(pc.equal(members.column("prefecture"), "鳥取県")).as_py()
    assert tokyo > 5 * max(tottori, 1)  # population-weighted


def test_member_contacts_are_valid(out: Path) -> None:
    members = read(out, "members")
    for phone in members.column("phone").to_pylist()[:500]:
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone, "JP"))
    emails = normalize_email_array(members.column("email"))
    assert emails.invalid == 0 and emails.missing == 0
    assert set(members.column("sex").to_pylist()) == {"F", "M"}


def test_partner_rows_are_messy_but_mostly_match(out: Path) -> None:
    members = read(out, "members")
    partner = read(out, "partner_customers")
    truth = read(out, "partner_truth")
    phones = partner.column("電話番号").to_pylist()
    assert any(p and p.startswith("+81") for p in phones)
    assert any(p and "０" in p for p in phones)
    assert any(p and "ー" in p for p in phones)
    emails = partner.column("メールアドレス").to_pylist()
    assert any(e and e != e.lower() for e in emails)
    assert any(e and "＠" in e for e in emails)
    linked = truth.filter(pc.is_valid(truth.column("member_id")))
    assert abs(linked.num_rows - 1200) <= 1
    # After normalisation most linked partner phones equal the member's.
    member_phone = dict(zip(members.column("member_id").to_pylist(),
                            normalize_phone_array(members.column("phone")).values.to_pylist(), strict=True))  # fmt: skip
    partner_phone = normalize_phone_array(partner.column("電話番号"))
    assert 0 < partner_phone.invalid < 50
    by_customer = dict(
        zip(partner.column("顧客番号").to_pylist(), partner_phone.values.to_pylist(), strict=True)
    )
    same = sum(by_customer[c] == member_phone[m] for c, m in zip(linked.column("customer_no").to_pylist(),
                                                                   linked.column("member_id").to_pylist(), strict=True))  # fmt: skip
    assert same / linked.num_rows > 0.8
    normalized = normalize_email_array(partner.column("メールアドレス"), EmailRules.gmail())
    assert normalized.invalid > 0 and normalized.missing > 0


def test_consent_histories_follow_the_domain(out: Path) -> None:
    events = read(out, "consent_events")
    members = read(out, "members")
    assert events.num_rows > 2 * members.num_rows
    bundled = events.filter(pc.equal(events.column("purpose_id"), ALL_PURPOSES_IN_TERMS))
    assert set(bundled.column("terms_version").to_pylist()) == {"2020-04", "2021-07"}
    assert pc.count_distinct(bundled.column("subject_id")).as_py() == members.num_rows
    assert {a.value for a in ConsentAction} == set(events.column("action").to_pylist())
    for row in events.slice(0, 300).to_pylist():
        ConsentEvent.model_validate(row)
    guardian = pc.is_valid(events.column("guardian_name"))
    assert pc.any(guardian).as_py()
    joined = events.join(members.select(["member_id", "birth_date"]), "subject_id", "member_id")
    age_days = pc.days_between(
        joined.column("birth_date"), pc.cast(joined.column("collected_at"), pa.date32())
    )
    minors = pc.less(age_days, 16 * 365)
    without = pc.and_(minors, pc.is_null(joined.column("guardian_name")))
    assert pc.any(without).as_py()  # minors without a guardian exist, for the rules to refuse


def test_cli_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["synth", str(tmp_path / "s"), "--members", "200", "--seed", "1", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rows"]["members"] == 200
    assert not [p for p in (tmp_path / "s").iterdir() if p.name.startswith(".")]  # no temp files left


def test_strangers_and_members_do_not_share_numbers_by_accident(out: Path) -> None:
    members = read(out, "members")
    partner = read(out, "partner_customers")
    truth = read(out, "partner_truth")
    phones = members.column("phone")
    # Only the deliberate family sharing (0.5%) repeats a member's number.
    assert pc.count_distinct(phones).as_py() >= 0.99 * members.num_rows
    member_phones = set(normalize_phone_array(phones).values.to_pylist())
    strangers = pc.is_null(truth.column("member_id"))
    stranger_phones = normalize_phone_array(partner.filter(strangers).column("電話番号")).values.to_pylist()
    # A stranger meets a member only through the 6% "new number" rows, which are random.
    clashes = sum(p in member_phones for p in stranger_phones if p is not None)
    assert clashes <= 0.01 * len(stranger_phones)


def test_cli_with_progress(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["synth", str(tmp_path / "s"), "--members", "50", "--partner-rows", "0"])
    assert result.exit_code == 0, result.output
    assert "members" in result.output
    assert read(tmp_path / "s", "partner_customers").num_rows == 0


def test_lines_past_ninety_million_keep_numbers_of_their_own() -> None:
    """At the seed's 70 million members with their strangers, line numbers pass 90 million: those
    get IP phone numbers (050), so they never take a number of a line 90 million below them."""
    rng = np.random.default_rng(7)
    low = members_chunk(rng, 1, 2000, DEFAULT_AS_OF)
    high = members_chunk(rng, SUBSCRIBERS + 1 - 1000, 2000, DEFAULT_AS_OF)
    high_phones = high.column("phone").to_pylist()
    assert all(p.startswith("050-") for p in high_phones[1000:])
    assert not any(p.startswith("050-") for p in low.column("phone").to_pylist())
    assert not set(low.column("phone").to_pylist()) & set(high_phones)
    assert all(phonenumbers.is_valid_number(phonenumbers.parse(p, "JP")) for p in high_phones)


def test_strangers_follow_the_last_member_in_large_data_sets() -> None:
    assert stranger_base(10_000_000) == STRANGER_BASE
    assert stranger_base(70_250_000) == 70_250_000
    SynthSpec(members=70_250_000)
    with pytest.raises(ValueError, match="distinct phone numbers"):
        SynthSpec(members=70_250_000, partner_rows=2 * SUBSCRIBERS - 70_250_000)
