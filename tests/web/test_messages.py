"""The console's text catalogue (hogo/web/messages.toml): every exclusion text is for a reason code
that exists, and every message has both languages."""

from __future__ import annotations

from hogo.domain.reasons import BY_CODE
from hogo.release.run import NOT_REGISTERED
from hogo.web.i18n import EXCLUSION_TEXTS, MEMBER_REASONS, MESSAGES, exclusion_text, member_reason


def test_exclusion_texts_name_real_reason_codes() -> None:
    assert set(EXCLUSION_TEXTS) <= set(BY_CODE) | {NOT_REGISTERED}
    assert NOT_REGISTERED in EXCLUSION_TEXTS
    assert exclusion_text("NO_SUCH_CODE", "en")[0] == "other reason in the policy"


def test_every_message_has_japanese_and_english() -> None:
    assert all(ja and en for ja, en in MESSAGES.values())
    assert MESSAGES["nav.received"] == ("受領記録", "Received data")


def test_every_reason_code_has_words_for_the_person() -> None:
    """The privacy center explains each reason of a decision in plain words (docs/privacy-center.md)."""
    assert set(MEMBER_REASONS) == set(BY_CODE)
    assert all(ja and en for ja, en in MEMBER_REASONS.values())
    assert member_reason("NO_CONSENT", "en").startswith("You have not given consent")
    assert member_reason("NO_SUCH_CODE", "ja") == ""
