"""`hogo ledger keygen|head|prove|consistency|check-proof|verify-tree` and receipts with proofs."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.cli.conftest import Run
from tests.cli.test_consent_cli import _setup


@pytest.fixture()
def signed(hogo: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    key = tmp_path / "keys" / "ledger.pem"
    hogo("ledger", "keygen", str(key))
    monkeypatch.setenv("HOGO_LEDGER_SIGNING_KEY_FILE", str(key))
    return key


def test_keygen_writes_an_owner_only_key_and_refuses_to_overwrite(hogo: Run, signed: Path) -> None:
    assert stat.S_IMODE(signed.stat().st_mode) == 0o600
    assert signed.with_name("ledger.pem.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    hogo("ledger", "keygen", str(signed), code=2)


def test_a_receipt_verifies_offline_and_heads_stay_consistent(
    hogo: Run, signed: Path, policy_file: Path, tmp_path: Path
) -> None:
    events = _setup(hogo, policy_file, tmp_path)
    hogo("consent", "import", str(events))
    first = tmp_path / "head-1.json"
    hogo("ledger", "head", "--out", str(first))
    receipt = hogo("consent", "receipt", "e2", as_json=True)
    proof = receipt["ledger"]["proof"]
    assert (
        proof["head"] == json.loads(first.read_text()) and proof["entry"]["hash"] == receipt["ledger"]["hash"]
    )
    (tmp_path / "receipt.json").write_text(json.dumps(receipt, ensure_ascii=False))
    public = str(signed.with_name("ledger.pem.pub"))
    ok = hogo("ledger", "check-proof", str(tmp_path / "receipt.json"), "--public-key", public)
    assert "検証できました" in ok.output
    receipt["ledger"]["proof"]["entry"]["payload"] = receipt["ledger"]["proof"]["entry"]["payload"].replace(
        "grant", "deny"
    )
    (tmp_path / "forged.json").write_text(json.dumps(receipt, ensure_ascii=False))
    bad = hogo("ledger", "check-proof", str(tmp_path / "forged.json"), "--public-key", public, code=1)
    assert "altered" in bad.output

    (tmp_path / "more.csv").write_text(events.read_text().replace("e1,", "e9,").replace("e2,", "e8,"))
    hogo("consent", "import", str(tmp_path / "more.csv"))
    second = hogo("ledger", "head", as_json=True)
    size = json.loads(first.read_text())["tree_size"]
    assert second["tree_size"] > size
    out = tmp_path / "consistency.json"
    hogo("ledger", "consistency", str(first), str(second["tree_size"]), "--out", str(out))
    assert json.loads(out.read_text())["new"] == second
    assert "検証できました" in hogo("ledger", "check-proof", str(out)).output
    proof = hogo("ledger", "prove", "1", as_json=True)
    assert proof["tree_size"] == size and proof["entry"]["seq"] == 1
    assert "一致します" in hogo("ledger", "verify-tree").output

    answer = hogo("disclosure", "S1", as_json=True)  # every entry of the person, with its proof
    assert answer["ledger"] and all(e["proof"]["entry"]["hash"] == e["hash"] for e in answer["ledger"])
    (tmp_path / "answer-proof.json").write_text(json.dumps(answer["ledger"][-1]["proof"], ensure_ascii=False))
    assert "検証できました" in hogo("ledger", "check-proof", str(tmp_path / "answer-proof.json")).output


def test_without_a_key_receipts_carry_no_proof_and_heads_are_refused(
    hogo: Run, policy_file: Path, tmp_path: Path
) -> None:
    events = _setup(hogo, policy_file, tmp_path)
    hogo("consent", "import", str(events))
    assert hogo("consent", "receipt", "e2", as_json=True)["ledger"]["proof"] is None
    assert "HOGO_LEDGER_SIGNING_KEY_FILE" in hogo("ledger", "head", code=2).output


def test_heads_of_a_rotated_key_stay_checkable(
    hogo: Run, signed: Path, policy_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = _setup(hogo, policy_file, tmp_path)
    hogo("consent", "import", str(events))
    old = tmp_path / "old-head.json"
    hogo("ledger", "head", "--out", str(old))
    new_key = tmp_path / "keys" / "ledger-2.pem"
    hogo("ledger", "keygen", str(new_key))
    monkeypatch.setenv("HOGO_LEDGER_SIGNING_KEY_FILE", str(new_key))
    (tmp_path / "more.csv").write_text(events.read_text().replace("e1,", "e9,"))
    hogo("consent", "import", str(tmp_path / "more.csv"))
    new = hogo("ledger", "head", as_json=True)
    assert new["key_id"] != json.loads(old.read_text())["key_id"]
    out = tmp_path / "c.json"
    hogo("ledger", "consistency", str(old), str(new["tree_size"]), "--out", str(out))
    one = str(signed.with_name("ledger.pem.pub"))
    both = ["--public-key", one, "--public-key", str(new_key.with_name("ledger-2.pem.pub"))]
    hogo("ledger", "check-proof", str(out), "--public-key", one, code=1)
    assert "検証できました" in hogo("ledger", "check-proof", str(out), *both).output
