"""The catalogue of titles (hogo/domain/titles.toml) and the enums that read it stay in step: every
member of a `Labelled` enum has a Japanese and an English title, and no title names a code that
does not exist, so a new member cannot reach a page or a document as a bare code."""

from __future__ import annotations

import pytest

import hogo.auth.roles
import hogo.domain.consent
import hogo.domain.decision
import hogo.domain.incidents.flow
import hogo.domain.incidents.types
import hogo.domain.inventory
import hogo.domain.policy
import hogo.domain.provision
import hogo.domain.readiness.assets
import hogo.domain.readiness.catalogue
import hogo.domain.readiness.questionnaire
import hogo.domain.related_info
import hogo.domain.rights.kinds
import hogo.domain.rights.request
import hogo.reports.incidents.context  # noqa: F401  (DocumentKind)
from hogo.domain.consent import ConsentMethod
from hogo.domain.display import Labelled, title_keys, title_pair
from hogo.domain.incidents.types import Step, role_title
from hogo.domain.ledger import EntryKind

LABELLED = sorted(Labelled.__subclasses__(), key=lambda e: e.__name__)


def test_every_labelled_enum_is_found() -> None:
    assert len(LABELLED) >= 14 and Step in LABELLED and ConsentMethod in LABELLED


@pytest.mark.parametrize("enum", LABELLED, ids=lambda e: e.__name__)
def test_each_member_has_both_titles_and_no_title_is_stray(enum: type[Labelled]) -> None:
    names = {m.name for m in enum}  # type: ignore[attr-defined]
    assert title_keys(enum.__name__) == names
    for member in enum:  # type: ignore[attr-defined]
        assert member.ja and member.en and member.text("en") == member.en and member.text() == member.ja


def test_tables_for_codes_kept_as_text_name_real_codes() -> None:
    assert title_keys("EntryKind") == {k.name for k in EntryKind}
    assert title_keys("ReleaseStatus") == {"running", "done", "failed"}


def test_a_code_without_a_title_is_shown_as_is() -> None:
    assert title_pair("EntryKind", "new_kind") == ("new_kind", "new_kind")
    assert role_title("auditor_on_call") == ("auditor_on_call", "auditor_on_call")
    assert role_title("privacy_officer") == ("個人情報保護管理者", "privacy officer")
    assert ConsentMethod.import_.ja == "一括取込" and Step.discovery.en == "discovery and reporting"
