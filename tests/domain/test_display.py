"""How hogo writes dates, times, titles and countries for people, and the same values for machines."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hogo.domain import reasons as R
from hogo.domain.clock import JST
from hogo.domain.decision import reason
from hogo.domain.display import Named, country_name, date_text, datetime_text, machine_text, value_text


def test_times_are_japan_time_to_the_minute_without_a_leading_zero() -> None:
    assert datetime_text(datetime(2023, 4, 12, 0, 0, tzinfo=UTC)) == "2023年4月12日 9:00"
    assert datetime_text(datetime(2023, 4, 12, 9, 5, tzinfo=UTC), "en") == "12 Apr 2023 18:05"
    assert date_text(date(2024, 6, 1)) == "2024年6月1日" and date_text(None) == "—"


def test_countries_come_from_cldr() -> None:
    assert country_name("JP") == "日本" and country_name("US") == "アメリカ合衆国"
    assert country_name("JP", "en") == "Japan" and country_name("ZZZ") == "ZZZ"


def test_people_read_titles_and_machines_read_ids() -> None:
    purpose = Named("marketing_mail", "商品・キャンペーンのご案内")
    at = datetime(2023, 4, 12, 9, 0, tzinfo=JST)
    assert (value_text(purpose), machine_text(purpose)) == ("商品・キャンペーンのご案内", "marketing_mail")
    assert (value_text(at), machine_text(at)) == ("2023年4月12日 9:00", "2023-04-12T09:00:00+09:00")
    r = reason(
        R.CONSENT_GRANTED, purpose=purpose, collected_at=at, event_id="E1", consent_article="法18条1項"
    )
    assert (
        r.message_ja
        == "本人は2023年4月12日 9:00に利用目的「商品・キャンペーンのご案内」に同意しています(事象 E1)。"
    )
    assert "at 12 Apr 2023 9:00" in r.message_en
    assert r.params == {
        "purpose": "marketing_mail",
        "collected_at": "2023-04-12T09:00:00+09:00",
        "event_id": "E1",
        "consent_article": "法18条1項",
    }
    assert r.article == "法18条1項"
