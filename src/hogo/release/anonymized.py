"""The anonymized mode of a release: the allowed population through rule 34 processing.

Only the quasi-identifiers, sensitive and kept columns the spec names are carried; member ids are
replaced by random per-release ids and tokens are dropped (rule 34 items 1–3), so nothing that
links back to the source can reach the output.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hogo.anonymization.release import anonymize
from hogo.domain.policy import Policy
from hogo.engines import SqlEngine
from hogo.release.spec import ReleaseSpec

OUTPUT = "anonymized.parquet"


def write_anonymized(
    eng: SqlEngine, spec: ReleaseSpec, policy: Policy, source: str, work: Path, members: Sequence[str]
) -> dict[str, Any]:
    """Anonymise the allowed members (table `source`) into `work`; return the manifest parts.

    ``members`` are the columns of the members table `source` was projected from: the manifest
    names those the release dropped (row numbers, tokens, member ids) although the pipeline
    already left the tokens behind."""
    assert spec.anonymization is not None
    recipient = policy.recipient(spec.recipient)
    settings = spec.anonymization.model_copy(
        update={
            "id_column": "member_id",
            "id_mode": "random",
            "business_name": policy.organization.name,
            "recipient": recipient.name if recipient else spec.recipient,
        }
    )
    result = anonymize(eng, source, settings, out=work / OUTPUT, source_label="members", columns=members)
    return {
        "anonymization": result.manifest.model_dump(mode="json"),
        "announcement": result.announcement,
    }
