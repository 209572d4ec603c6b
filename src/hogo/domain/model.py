"""The base of the domain's value models: immutable, and strict about what they are given.

Frozen, because a decision, a ledger payload or a case is evidence once made; extra fields
forbidden, because a misspelt field in a policy file or an API body must be an error, not
silently dropped. Every such model, in the domain and in the specs and manifests of the layers
above, derives from `Frozen` (one way, not a `model_config` per class or module).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
