"""Answering a person's disclosure request (開示請求, 法33条) from the store and the ledger.

Covers the retained personal data hogo holds about the person, their consent history with the
current decision for each purpose, recorded legal exceptions, and the third-party provision
records that concern them (法33条5項): those we made as provider (法29条) and as recipient
(法30条), each with the ledger hash that proves it; with a signed tree head (a signing key is
given, or an issued head already covers them) each entry also carries its inclusion proof, which
the person can check offline (`hogo ledger check-proof`, docs/ledger.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.orm import Session

from hogo.domain.clock import to_jst
from hogo.domain.ledger import LedgerRow
from hogo.services import ledger, ledger_tree, person_keys
from hogo.services.consent import timeline
from hogo.services.provisions import provisions_for
from hogo.services.received import received_for
from hogo.store.tables import SubjectRow


def _ledger(
    session: Session, entries: list[LedgerRow], key: Ed25519PrivateKey | None
) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = [{"seq": e.seq, "kind": e.kind, "hash": e.hash} for e in entries]
    if not entries:
        return listed
    sth = ledger_tree.sign_current(session, key) if key is not None else None
    sth = sth or ledger_tree.latest_head(session, at_least=entries[-1].seq)
    if sth is not None:
        for item in listed:
            item["proof"] = ledger_tree.inclusion(session, item["seq"], sth)
    return listed


def disclosure(
    session: Session, subject_id: str, at: datetime, signing_key: Ed25519PrivateKey | None = None
) -> dict[str, Any]:
    """The answer; with `signing_key` (in a write transaction) a head is signed for the proofs."""
    answer = timeline(session, subject_id, at)
    policy, hist, decisions = answer.policy, answer.history, answer.decisions
    row = session.get_one(SubjectRow, subject_id)
    entries = ledger.entries_for(session, *person_keys.ref_of(session, subject_id))
    records = provisions_for(session, subject_id)
    received = received_for(session, subject_id)
    return {
        "title": "保有個人データの開示(法33条)及び第三者提供記録の開示(法33条5項)",
        "controller": policy.organization.model_dump(),
        "prepared_at": to_jst(at).isoformat(),
        "subject": {
            "subject_id": row.subject_id,
            "birth_date": row.birth_date.isoformat() if row.birth_date else None,
            "identity_verified": row.identity_verified,
            "email": row.email,
            "phone": row.phone,
        },
        "purposes_of_use": [
            {"id": p.id, "title": p.title, "kind": p.kind.value, "data_categories": list(p.data_categories)}
            for p in policy.purposes
        ],
        "consent_events": [e.model_dump(mode="json") for e in hist.events],
        "legal_exceptions": [x.model_dump(mode="json") for x in hist.exceptions],
        "decisions": [d.model_dump(mode="json") for d in decisions],
        "third_party_provision_records": [
            {
                "provision_id": r.provision_id,
                "provided_on": to_jst(r.provided_at).date().isoformat(),
                "recipient": {"name": r.recipient_name, "country": r.recipient_country},
                "purpose_id": r.purpose_id,
                "data_items": list(r.data_items),
                "consent_obtained": r.consent_obtained,
                "mode": r.mode.value,
            }
            for r in records
            if r.mode.value == "personal"
        ],
        "third_party_receipt_records": [
            {
                "received_id": r.received_id,
                "received_on": to_jst(r.received_at).date().isoformat(),
                "provider": {
                    "kind": r.provider.kind.value,
                    "name": r.provider.name,
                    "address": r.provider.address,
                    "representative": r.provider.representative,
                },
                "acquisition": r.acquisition,
                "data_items": list(r.data_items),
                "basis": r.basis.value,
                "consent_obtained": r.consent_obtained,
                "ppc_publication_confirmed": r.ppc_publication_confirmed,
            }
            for r in received
        ],
        "ledger": _ledger(session, entries, signing_key),
    }
