"""Bulk imports encode payloads and row digests a batch at a time (issue 13): byte for byte what
a single capture writes, so imported and captured events are bound and verified alike."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from hogo.domain import shredding as sh
from hogo.domain.binding import CONSENT_EVENTS
from hogo.domain.consent import ConsentAction, ConsentEvent, ConsentMethod
from hogo.domain.ledger import canonical
from hogo.files.event_columns import FIELDS, EventColumns
from hogo.services.consent import event_digest, event_payload
from hogo.services.event_payloads import encode

_text = st.one_of(
    st.none(),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20).filter(
        lambda t: t.strip() != ""
    ),
)
_offsets = st.one_of(
    st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))),
    st.integers(-50_000, 50_000).map(lambda s: timezone(timedelta(seconds=s))),
    st.just(UTC),
)
_instants = st.builds(
    lambda d, tz: d.replace(tzinfo=tz),
    st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2099, 12, 30)),
    _offsets,
)
_events = st.builds(
    lambda i, s, p, a, t, m, c, ev, gn, gr, f: ConsentEvent(
        event_id=i,
        subject_id=s,
        purpose_id=p,
        action=a,
        terms_version=t or "v1",
        method=m,
        collected_at=c,
        evidence=ev[:512] if ev else None,
        guardian_name=gn,
        guardian_relation=gr,
        foreign_transfer_info_given=f,
    ),
    st.from_regex(r"[A-Za-z0-9._:@-]{1,20}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9._:@-]{1,20}", fullmatch=True),
    st.one_of(st.just("*"), st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True)),
    st.sampled_from(list(ConsentAction)),
    _text,
    st.sampled_from(list(ConsentMethod)),
    _instants,
    _text,
    _text,
    _text,
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_events, min_size=1, max_size=8))
def test_batch_encoding_equals_the_single_event_path(events: list[ConsentEvent]) -> None:
    keys = {e.subject_id: _keys() for e in events}
    encoded = encode(EventColumns.from_events(events, list(range(2, 2 + len(events)))), keys)
    for e, ref, payload, digest, stored in zip(
        events, encoded.refs, encoded.payloads, encoded.digests, encoded.stored_at, strict=True
    ):
        mine = keys[e.subject_id]
        assert ref == sh.person_ref(mine.pseudonym)
        assert digest == event_digest(e, mine.digest_key)
        single = json.loads(canonical(event_payload(e, digest, mine)))
        batch = json.loads(payload)
        # The same canonical text but for the sealed values' fresh nonce: both open to the same.
        assert canonical(batch).decode() == payload
        assert sh.reveal(batch, mine.data_key) == sh.reveal(single, mine.data_key)
        assert batch.keys() == single.keys()
        utc = e.collected_at.astimezone(UTC).replace(tzinfo=None)
        assert stored == utc.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite DATETIME text


def _keys() -> sh.PersonKeys:
    return sh.PersonKeys(sh.new_pseudonym(), os.urandom(32), os.urandom(32))


@settings(max_examples=100, deadline=None)
@given(st.lists(_events, min_size=2, max_size=12), st.lists(st.integers(0, 2), min_size=12, max_size=12))
def test_persons_with_several_events_in_a_batch_encode_as_the_single_event_path(
    events: list[ConsentEvent], persons: list[int]
) -> None:
    """A person named by several events of a batch (a cipher and digest key kept for the batch)
    and a person named once (made, used and dropped) get the same digests and sealed values."""
    events = [
        e.model_copy(update={"event_id": f"E{n}", "subject_id": f"M{p}"})
        for n, (e, p) in enumerate(zip(events, persons, strict=False))
    ]
    keys = {e.subject_id: _keys() for e in events}
    encoded = encode(EventColumns.from_events(events, list(range(2, 2 + len(events)))), keys)
    nonces = set()
    for e, payload, digest in zip(events, encoded.payloads, encoded.digests, strict=True):
        mine = keys[e.subject_id]
        assert digest == event_digest(e, mine.digest_key)
        batch = json.loads(payload)
        single = json.loads(canonical(event_payload(e, digest, mine)))
        assert sh.reveal(batch, mine.data_key) == sh.reveal(single, mine.data_key)
        nonces.add(batch["sealed"][:16])  # each value sealed under its own nonce
    assert len(nonces) == len(events)


def test_a_person_without_keys_gets_no_ref_payload_or_digest() -> None:
    """Not registered: `_check` refuses the file before anything is recorded."""
    event = ConsentEvent(
        event_id="E1", subject_id="nobody", purpose_id="p", action="grant", terms_version="v1",
        method="web_form", collected_at=datetime(2024, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    encoded = encode(EventColumns.from_events([event], [2]), {})
    assert (encoded.refs, encoded.payloads, encoded.digests) == ([""], [""], [""])


def test_the_row_digest_covers_the_bound_columns_in_their_order() -> None:
    """`_row_digests` writes the columns in `FIELDS` order: the bound table's own order."""
    assert CONSENT_EVENTS.columns == FIELDS
