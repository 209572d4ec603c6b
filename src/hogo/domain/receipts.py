"""Consent receipts: what the person agreed to, as a record they can keep.

The structure follows ISO/IEC TS 27560 (consent record information structure); a `kantara`
block maps the same facts onto the Kantara Consent Receipt v1.1 field names.

A receipt built with `personal=False` (for a reader without the personal-data permission) keeps
every fact but leaves out personal values: the guardian's name and relation and the evidence
text (which may name a person) become null, and `guardian_present` / `evidence_present` say
whether there is one.

With `proof` (a hogo-ledger-proof/1 document, `services.ledger_tree.prove`) the receipt carries the
entry's inclusion proof and the signed tree head under `ledger.proof`, so whoever holds it can
check offline, with only the operator's public key, that the entry is in the log
(`hogo.domain.transparency.verify_receipt`, `hogo ledger check-proof`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hogo.domain.clock import to_jst
from hogo.domain.consent import ALL_PURPOSES_IN_TERMS, ConsentAction, ConsentEvent, Subject
from hogo.domain.notice import parse_evidence
from hogo.domain.policy import AppiClass, Policy, Purpose, PurposeKind

_STATE = {
    ConsentAction.grant: "given",
    ConsentAction.deny: "refused",
    ConsentAction.withdraw: "withdrawn",
    ConsentAction.object: "objected",
}


def _purposes(policy: Policy, event: ConsentEvent) -> list[Purpose]:
    if event.purpose_id == ALL_PURPOSES_IN_TERMS:
        terms = policy.terms_version(event.terms_version or "")
        ids = list(terms.purposes) if terms else []
    else:
        ids = [event.purpose_id]
    return [p for pid in ids if (p := policy.purpose(pid)) is not None]


def build_receipt(
    policy: Policy,
    subject: Subject,
    event: ConsentEvent,
    ledger_seq: int,
    ledger_hash: str,
    *,
    personal: bool,
    proof: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    purposes = _purposes(policy, event)
    shown = parse_evidence(event.evidence)
    collected = to_jst(event.collected_at).isoformat()
    purpose_records = []
    for p in purposes:
        classes = sorted(c.value for c in policy.classes_of(p))
        purpose_records.append(
            {
                "purpose_id": p.id,
                "purpose": p.title,
                "purpose_kind": p.kind.value,
                "data_categories": list(p.data_categories),
                "appi_classes": classes,
                "recipients": [
                    {"id": r.id, "name": r.name, "relationship": r.relationship.value, "country": r.country}
                    for rid in p.recipients
                    if (r := policy.recipient(rid)) is not None
                ],
                "legal_basis": "consent",
            }
        )
    return {
        "schema": "ISO/IEC TS 27560:2023 consent record",
        "record_id": event.event_id,
        "jurisdiction": "JP (個人情報の保護に関する法律)",
        "language": "ja",
        "controller": {
            "name": policy.organization.name,
            "address": policy.organization.address,
            "representative": policy.organization.representative,
        },
        "data_subject": {
            "id": subject.subject_id,
            "identity_verified": subject.identity_verified,
            "guardian": (
                {"name": event.guardian_name, "relation": event.guardian_relation}
                if event.guardian_name and personal
                else None
            ),
            "guardian_present": bool(event.guardian_name),
        },
        "event": {
            "state": _STATE[event.action],
            "time": collected,
            "method": event.method.value,
            "foreign_transfer_info_given": event.foreign_transfer_info_given,
        },
        "notice": {
            "terms_version": event.terms_version,
            "evidence": event.evidence if personal else None,
            "evidence_present": bool(event.evidence),
            "bundled_terms_acceptance": event.purpose_id == ALL_PURPOSES_IN_TERMS,
            # What the consent notice component showed (version, SHA-256 of the section, origin,
            # language, browser family, GPC): no personal data, so shown to every reader.
            "notice_shown": shown.model_dump(mode="json") if shown else None,
        },
        "purposes": purpose_records,
        "ledger": {"seq": ledger_seq, "hash": ledger_hash, "proof": None if proof is None else dict(proof)},
        "kantara": {
            "version": "KI-CR-v1.1.0",
            "jurisdiction": "JP",
            "consentTimestamp": int(event.collected_at.timestamp()),
            "collectionMethod": event.method.value,
            "consentReceiptID": event.event_id,
            "language": "ja",
            "piiPrincipalId": subject.subject_id,
            "piiControllers": [
                {"piiController": policy.organization.name, "address": policy.organization.address}
            ],
            "policyUrl": None,
            "services": [
                {
                    "service": policy.organization.name,
                    "purposes": [
                        {
                            "purpose": p.title,
                            "purposeCategory": [p.kind.value],
                            "consentType": "EXPLICIT",
                            "piiCategory": list(p.data_categories),
                            "primaryPurpose": p.kind is PurposeKind.internal_use,
                            "termination": "撤回されるまで / until withdrawn",
                            "thirdPartyDisclosure": bool(p.recipients),
                            "thirdPartyName": ", ".join(p.recipients) or None,
                        }
                        for p in purposes
                    ],
                }
            ],
            "sensitive": any(AppiClass.sensitive in policy.classes_of(p) for p in purposes),
            "spiCat": sorted(
                {
                    cid
                    for p in purposes
                    for cid in p.data_categories
                    if (c := policy.category(cid)) and c.appi_class is AppiClass.sensitive
                }
            ),
        },
    }
