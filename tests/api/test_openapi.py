"""The OpenAPI document: checked in, stable operation ids, and no secret ever in a response."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hogo.http.openapi import document, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"

OPERATIONS = {
    "captureConsent", "checkConsent", "getConsentReceipt", "getCurrentCaller", "getGpcSupport",
    "getLedgerStatus", "getPolicy", "getSubject", "getSubjectTimeline", "listConsentEvents",
    "listSubjects", "putSubject", "withdrawConsent",
}  # fmt: skip
OPERATIONS |= {
    "listIncidents", "openIncident", "getIncident", "recordIncidentFacts", "completeIncidentTask",
    "getIncidentTimeline", "listIncidentDocuments", "draftIncidentDocument", "downloadNotificationList",
    "listInventory", "getInventoryDataset", "importInventory",
}  # fmt: skip
OPERATIONS |= {
    "listReadinessAssets", "getReadinessAssessment", "recordReadinessAssessment", "getReadinessHistory",
    "startRelease", "listReleases", "getRelease", "downloadReleaseFile",
    "startProfile", "listProfiles", "getProfile",
}  # fmt: skip
OPERATIONS |= {"recordReceivedProvision", "listReceivedProvisions", "getReceivedProvision"}
OPERATIONS |= {"getLedgerTreeHead", "issueLedgerTreeHead", "getLedgerInclusionProof"}
OPERATIONS |= {
    "embedNotice",
    "embedChoices",
    "embedDismissed",
    "createCampaign",
    "listCampaigns",
    "getCampaign",
}
OPERATIONS |= {"mintPrivacyCenterLink"}
OPERATIONS |= {"startSegmentExport", "listSegmentExports", "getSegmentExport", "listRelatedInfoConfirmations"}
OPERATIONS |= {"purgeRelatedInfoConfirmations"}
OPERATIONS |= {
    "listRightsRequests",
    "fileRightsRequest",
    "getRightsRequest",
    "verifyRightsRequest",
    "decideRightsRequest",
    "carryOutRightsRequest",
    "answerRightsRequest",
    "extendRightsRequest",
    "getRightsRequestAnswer",
}
FORBIDDEN = ("password", "token_hash", "password_hash", "email", "phone", "guardian_name", "secret")


def test_checked_in_document_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/openapi.json is out of date: run `python -m hogo.http.openapi > docs/openapi.json`"
    )


def test_operation_ids_are_stable() -> None:
    doc = document()
    ids = {op["operationId"] for ops in doc["paths"].values() for op in ops.values()}
    assert ids == OPERATIONS


def _properties(schema: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict):
                found.update(value)
            found |= _properties(value)
    elif isinstance(schema, list):
        for item in schema:
            found |= _properties(item)
    return found


def test_output_schemas_carry_no_secrets_or_contacts() -> None:
    doc = json.loads(render())
    outputs = {
        name: schema
        for name, schema in doc["components"]["schemas"].items()
        if name.endswith("Out") or name.startswith("Error")
    }
    names = _properties(outputs)
    assert not [n for n in names if any(f in n.lower() for f in FORBIDDEN)]


def test_every_operation_documents_auth_failures() -> None:
    doc = document()
    for path, ops in doc["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for op in ops.values():
            assert {"401", "403", "422"} <= set(op["responses"]), op["operationId"]
