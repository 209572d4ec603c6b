"""外部送信 (電気通信事業法27条の12): declarations in the policy, validated per key, rendered into
a versioned notice whose digest any change to what is published changes, and which leaves the
consent sections' digests (the evidence of recorded choices) as they were."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from hogo.demo import demo_policy_document
from hogo.domain.notice import render_notice, render_transmissions
from hogo.domain.policy import Policy
from hogo.errors import InputError
from hogo.files.policy_yaml import parse_policy

GA: dict[str, Any] = {
    "id": "web_analytics",
    "tool": "Google Analytics 4",
    "recipient": "Google LLC",
    "information": ["閲覧したページのURL", "Cookie ID"],
    "purpose": "利用状況の分析",
}


def _policy(*transmissions: dict[str, Any]) -> Policy:
    return Policy.model_validate({**demo_policy_document(), "external_transmissions": list(transmissions)})


def test_the_demo_policy_publishes_what_its_tags_send_to_whom_and_why() -> None:
    policy = Policy.model_validate(demo_policy_document())
    ja = render_transmissions(policy, 3, "ja")
    assert ja.version == "policy-r3" and ja.heading == "外部送信について" and "27条の12" in ja.lead
    assert [x.id for x in ja.items] == ["web_analytics", "ad_tag", "cdn"]
    assert all(x.recipient and x.information and x.purpose for x in ja.items)
    assert [x.necessary_for_service for x in ja.items] == [False, False, True]
    en = render_transmissions(policy, 3, "en")
    assert en.labels["recipient"] == "Sent to" and en.sha256 != ja.sha256
    assert render_transmissions(policy, 3, "ja") == ja  # deterministic: an auditor re-renders it
    assert render_transmissions(policy, 4, "ja").sha256 != ja.sha256  # versioned


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"information": []}, "external_transmissions.0.information"),
        ({"recipient": ""}, "external_transmissions.0.recipient"),
        ({"purpose": ""}, "external_transmissions.0.purpose"),
        ({"opt_out_url": "http://example.com/optout"}, "external_transmissions.0.opt_out_url"),
        ({"opt_out_url": "javascript:alert(1)"}, "external_transmissions.0.opt_out_url"),
        ({"sends": "x"}, "external_transmissions.0.sends"),
    ],
)
def test_policy_apply_names_the_key_of_a_bad_declaration(change: dict[str, Any], key: str) -> None:
    text = yaml.safe_dump(
        {**demo_policy_document(), "external_transmissions": [{**GA, **change}]}, allow_unicode=True
    )
    with pytest.raises(InputError) as caught:
        parse_policy(text)
    assert caught.value.field == key or key in str(caught.value)


def test_a_duplicate_id_is_refused() -> None:
    with pytest.raises(ValueError, match=r"external_transmissions\.1: duplicate id"):
        _policy(GA, GA)


@given(
    field=st.sampled_from(["tool", "recipient", "purpose"]),
    text=st.text(min_size=1, max_size=20).filter(str.strip),
)
def test_any_change_to_what_is_published_changes_the_digest(field: str, text: str) -> None:
    before = render_transmissions(_policy(GA), 1, "ja")
    changed = {**GA, field: GA[field] + text}
    assert render_transmissions(_policy(changed), 1, "ja").sha256 != before.sha256


def test_the_consent_notice_carries_them_without_changing_any_sections_digest() -> None:
    without = Policy.model_validate({**demo_policy_document(), "external_transmissions": []})
    declared = _policy(GA)
    purposes = ("ad_partners", "analytics_overseas")
    plain = render_notice(without, 2, purposes, "ja")
    shown = render_notice(declared, 2, purposes, "ja")
    assert plain.external_transmissions is None
    assert shown.external_transmissions == render_transmissions(declared, 2, "ja")
    assert [s.sha256 for s in shown.sections] == [s.sha256 for s in plain.sections]
