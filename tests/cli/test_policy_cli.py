from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Run

ISSUE_POLICY = """\
organization: {name: 例示株式会社, address: 東京都, representative: 代表者}
settings: {guardian_consent_below_age: 16}
data_categories: [{id: contact, appi_class: personal_data}, {id: medical, appi_class: sensitive}]
recipients: [{id: adco, name: 広告社, relationship: third_party, country: JP}]
purposes:
  - {id: service, title: 会員サービスの提供, kind: internal_use, requires_consent: false,
     data_categories: [contact]}
  - {id: ad_partners, title: 行動ターゲティング広告事業者への提供, kind: third_party_provision,
     requires_consent: true, recipients: [adco], data_categories: [contact],
     opt_out: {filed_with_ppc_on: 2022-06-01}}   # opt_out is optional
terms:
  - {version: "2020-04", effective_from: 2020-04-01, purposes: [service]}
  - {version: "2021-07", effective_from: 2021-07-01, purposes: [service, ad_partners]}
"""


def test_the_issue_policy_loads_and_applies_idempotently(hogo: Run, tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(ISSUE_POLICY, encoding="utf-8")
    first = hogo("policy", "apply", str(path), "--json", as_json=True)
    assert first["changed"] and first["added"]["purposes"] == ["ad_partners", "service"]
    again = hogo("policy", "apply", str(path), "--json", as_json=True)
    assert again == {"revision": 1, "changed": False, "added": {}, "removed": {}, "modified": {}}
    shown = hogo("policy", "show", "--json", as_json=True)
    assert shown["terms"][1]["purposes"] == ["service", "ad_partners"]
    assert "会員サービスの提供" in hogo("policy", "show").output


def test_invalid_policy_names_the_key_and_applies_nothing(hogo: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        ISSUE_POLICY.replace("kind: internal_use", "kind: internal-use").replace(
            "[service, ad_partners]", "[service, ads]"
        ),
        encoding="utf-8",
    )
    result = hogo("policy", "apply", str(path), code=2)
    assert "purposes.0.kind" in result.output
    result = hogo("policy", "apply", str(tmp_path / "nothing.yaml"), code=2)
    assert "nothing.yaml" in result.output
    path.write_text(ISSUE_POLICY.replace("[service, ad_partners]", "[service, ads]"), encoding="utf-8")
    result = hogo("policy", "apply", str(path), code=2)
    assert "terms.1.purposes.1" in result.output and "ads" in result.output
    path.write_text("organization: {name: x}\nunknown_key: 1\n", encoding="utf-8")
    assert "unknown_key" in hogo("policy", "apply", str(path), code=2).output
    path.write_text("organization: [unclosed\n", encoding="utf-8")
    assert "YAML" in hogo("policy", "apply", str(path), code=2).output
    assert "ポリシーが未適用" in hogo("policy", "show", code=2).output
