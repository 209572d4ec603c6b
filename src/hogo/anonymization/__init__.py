"""匿名加工情報 (anonymised information, APPI 法43条 / PPC rule 34).

Hierarchies and builders, privacy models, utility metrics, the optimal lattice search (over a
frequency table the data engine computes), unusual-value treatment, re-identification risk, and
the release manifest with the rule-34 checklist and the public announcement. Entry point: :func:`anonymize`.
"""

from __future__ import annotations

from hogo.anonymization.manifest import ReleaseManifest
from hogo.anonymization.metrics import Metric
from hogo.anonymization.models import LVariant, PrivacyModel
from hogo.anonymization.release import AnonymizationResult, anonymize
from hogo.anonymization.spec import AnonymizationSpec, QISpec

__all__ = [
    "AnonymizationResult",
    "AnonymizationSpec",
    "LVariant",
    "Metric",
    "PrivacyModel",
    "QISpec",
    "ReleaseManifest",
    "anonymize",
]
