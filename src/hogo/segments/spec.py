"""The segment export spec: which file of identifier-keyed segments goes to which recipient.

A segment export is the 法31条 case: data keyed by a cookie, device or advertising id that the
business cannot link to a person, for a recipient that will link it to personal data it holds.
(Where hogo links the id to a member, the export is a personal release keyed by that id,
`output.key` of a release spec: 法27条.) Validated whole before any data is read; every path key
goes through `hogo.release.spec.SpecPaths`, so a submitted spec is confined as release specs are.
"""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from pydantic import Field, model_validator

from hogo.domain.ids import Identifier
from hogo.domain.model import Frozen
from hogo.domain.provision import RecordForm
from hogo.domain.related_info import IdentifierKind
from hogo.engines import EngineName
from hogo.errors import InputError
from hogo.matching.inputs import InputSpec
from hogo.release.spec import SpecPaths, read_spec_file, validated


class SegmentOutput(Frozen):
    #: Where the export's folder (named by its id) is created.
    dir: Path
    #: `csv` (UTF-8 with BOM, formula-safe cells) or `parquet`.
    format: str = Field(default="csv", pattern="^(parquet|csv)$")


class ConfirmationFile(Frozen):
    """The recipient's confirmations: a CSV (UTF-8, BOM or CP932) with the columns
    `identifier`, `consent_obtained_at`, `method` and, for a recipient abroad, `foreign_info_given`."""

    path: Path


class SegmentSpec(Frozen):
    id: Identifier
    #: A recipient id of the policy (its name and country are taken from there).
    recipient: Identifier
    at: datetime | None = None
    identifier_kind: IdentifierKind
    #: The segment file (CSV or Parquet); `columns` maps `identifier` and each item.
    segments: InputSpec
    #: Item (a key of `segments.columns`) → data category of the policy (個人関連情報).
    items: dict[str, str] = Field(min_length=1)
    confirmations: ConfirmationFile
    #: 規則: `batch` (kept 3 years) or `contract` (a contract stands in: 1 year).
    record_form: RecordForm = RecordForm.batch
    #: The key of the identifiers' keyed tokens in the record and the ledger; HOGO_TOKEN_KEY when omitted.
    token_key_file: Path | None = None
    output: SegmentOutput
    engine: EngineName | None = None

    @model_validator(mode="after")
    def _columns(self) -> Self:
        if "identifier" not in self.segments.columns:
            raise ValueError("segments.columns must map identifier")
        missing = [item for item in self.items if item not in self.segments.columns]
        if missing:
            raise ValueError(f"items not mapped in segments.columns: {', '.join(missing)}")
        reserved = {"identifier", self.identifier_kind.column, "row", "id_", "result_"}
        taken = sorted(reserved & set(self.items))
        if taken:
            raise ValueError(f"names hogo uses itself cannot be items: {', '.join(taken)}")
        if self.record_form is RecordForm.each:
            raise ValueError("record_form is batch or contract")
        return self


def load_segment_spec(path: Path) -> SegmentSpec:
    """A spec file (CLI); relative paths from the spec's folder."""
    return parse_segment_spec(read_spec_file(path), path.parent, str(path))


def parse_segment_spec(data: Any, base: Path | SpecPaths, where: str = "spec") -> SegmentSpec:
    """Validate a spec given as a mapping; ``base`` as for `hogo.release.spec.parse_spec`."""
    paths = SpecPaths.local(base) if isinstance(base, Path) else base
    if not isinstance(data, dict):
        raise InputError(f"{where}: キーと値の対応で書いてください。", f"{where}: expected a mapping.")
    data = copy.deepcopy(data)
    paths.read_inputs(data, "segments.path", "confirmations.path", "token_key_file")
    paths.read_output_section(data)
    return validated(SegmentSpec, data, where)
