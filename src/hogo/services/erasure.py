"""Erasing a person (法35条): their rows and their keys, so that the ledger forgets them and
still reconciles.

Why: an erased person's consent events, exceptions, person record and places in provision and
receipt person lists are deleted; their ledger entries stay (the chain is append-only), and one
`erasure` entry lists the entries whose rows are gone and how many rows left each person list,
under a random erasure id, never the person's id. Verification then reconciles those entries as
"erased" instead of reporting missing rows. The running tallies lose the deleted rows' digests
in the same transaction. The person's keys are deleted too (crypto-shredding,
`hogo.domain.shredding`): the entries written since ledger v3 name the person by a pseudonym and
hold their values sealed under that key, so they can no longer be read or linked to the person,
and no guessed row can be confirmed against their keyed digests. Entries written before the
v3 switch still hold the values they were written with (docs/ledger.md).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hogo.domain import binding as b
from hogo.domain.ledger import EntryKind
from hogo.errors import NotFound
from hogo.services import binding, ledger, person_keys, privacy_access, profiles
from hogo.store.incidents import IncidentSubjectRow
from hogo.store.sites import CampaignTargetRow
from hogo.store.tables import UNINDEXED_REF_KIND, LedgerEntryRow, SubjectRow


@dataclass(frozen=True)
class Erasure:
    erasure_id: str
    ledger_seq: int
    rows: dict[str, int]
    #: The person's keys were destroyed (False: the person had none, e.g. written only before v3).
    keys_destroyed: bool = False


def erase(session: Session, subject_id: str) -> Erasure:
    """Delete the person's rows in the caller's transaction and record the erasure entry."""
    ledger.lock_head(session)
    if session.get(SubjectRow, subject_id) is None:
        raise NotFound("本人が登録されていません。", "no such subject.")
    conn = session.connection()
    keys = person_keys.lookup(conn, [subject_id], data=False)
    v3_after = binding.v3_after(conn)
    entries: set[int] = set()
    lists: dict[int, int] = {}
    removed: dict[str, int] = {}
    for t in b.BOUND:
        if "subject_id" not in t.columns:
            continue
        table = binding.table_of(t)
        found = conn.execute(
            select(table.c.ledger_seq, *[table.c[c] for c in t.columns]).where(
                table.c.subject_id == subject_id
            )
        ).all()
        if not found:
            continue
        digests = [
            b.row_digest(t, list(r[1:]), person_keys.digest_key(keys, subject_id, int(r[0]), v3_after))
            for r in found
        ]
        binding.count(conn, {t.name: b.tally_of(digests)}, leaving=True)
        for r in found:
            if t.parent is None:
                entries.add(int(r[0]))
            else:
                lists[int(r[0])] = lists.get(int(r[0]), 0) + 1
        removed[t.name] = len(found)
        if t is not b.SUBJECTS:
            conn.execute(delete(table).where(table.c.subject_id == subject_id))
    e = LedgerEntryRow
    kinds = [k.value for k in b.SUBJECTS.kinds]
    refs = person_keys.ref_of(conn, subject_id)
    indexed = e.kind != UNINDEXED_REF_KIND  # the ref index's own condition: it is used
    entries.update(conn.execute(select(e.seq).where(e.ref.in_(refs), e.kind.in_(kinds), indexed)).scalars())
    conn.execute(delete(IncidentSubjectRow).where(IncidentSubjectRow.subject_id == subject_id))
    conn.execute(delete(CampaignTargetRow).where(CampaignTargetRow.subject_id == subject_id))
    privacy_access.forget(session, subject_id)  # the person's privacy-center sessions and codes
    profiles.forget(session, subject_id)  # their rows in stored profile outputs (counts in the ledger)
    conn.execute(delete(SubjectRow).where(SubjectRow.subject_id == subject_id))
    destroyed = person_keys.destroy(conn, subject_id)
    erasure_id = secrets.token_hex(16)
    payload: Mapping[str, Any] = {
        "erasure_id": erasure_id,
        "entries": sorted(entries),
        "lists": {str(seq): n for seq, n in sorted(lists.items())},
    }
    seq = ledger.append(session, EntryKind.erasure, f"erasure:{erasure_id}", payload)
    return Erasure(erasure_id, seq, removed, destroyed)


@dataclass(frozen=True)
class ErasedSpan:
    """One erased person's time in the store, as ledger positions: from the first entry that bound
    one of their rows to their erasure entry (never who they were)."""

    first: int
    erased: int

    def held_by(self, entries: int) -> bool:
        """Whether a copy of the store whose ledger had ``entries`` entries holds the person."""
        return self.first <= entries < self.erased


def erased_spans(session: Session) -> list[ErasedSpan]:
    """Every erasure's span, oldest first: a backup taken inside one still holds that person's
    data until the generation is pruned (`hogo backup list` says how many each holds)."""
    rows = session.execute(
        select(LedgerEntryRow.seq, LedgerEntryRow.payload)
        .where(LedgerEntryRow.kind == EntryKind.erasure.value)
        .order_by(LedgerEntryRow.seq)
    )
    spans = []
    for seq, text in rows:
        payload = json.loads(text)
        bound = [*payload.get("entries", []), *(int(k) for k in payload.get("lists", {}))]
        spans.append(ErasedSpan(min(bound, default=seq), seq))
    return spans
