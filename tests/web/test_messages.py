"""The console's text catalogue (hogo/web/messages.toml): every exclusion text is for a reason code
that exists, and every message has both languages."""

from __future__ import annotations

from hogo.domain.reasons import BY_CODE
from hogo.release.run import NOT_REGISTERED
from hogo.web.i18n import EXCLUSION_TEXTS, MESSAGES, exclusion_text


def test_exclusion_texts_name_real_reason_codes() -> None:
    assert set(EXCLUSION_TEXTS) <= set(BY_CODE) | {NOT_REGISTERED}
    assert NOT_REGISTERED in EXCLUSION_TEXTS
    assert exclusion_text("NO_SUCH_CODE", "en")[0] == "other reason in the policy"


def test_every_message_has_japanese_and_english() -> None:
    assert all(ja and en for ja, en in MESSAGES.values())
    assert MESSAGES["nav.received"] == ("受領記録", "Received data")
