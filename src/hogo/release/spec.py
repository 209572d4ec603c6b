"""The release spec: what is matched, for which purpose and recipient, and what leaves.

Written by a data engineer as YAML and validated whole before any data is read, so a typo in a
column mapping fails in a second, not after matching seventy million rows.
"""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hogo.anonymization.spec import AnonymizationSpec, QISpec
from hogo.domain.ids import Identifier
from hogo.domain.provision import ReleaseMode
from hogo.errors import InputError
from hogo.files.yaml_document import load_user_yaml
from hogo.matching.inputs import InputSpec
from hogo.release.aggregate import AggregateSpec

MATCH_KEYS = ("email", "phone")


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MatchSpec(_Spec):
    keys: tuple[str, ...] = MATCH_KEYS
    #: Provider-specific e-mail rules (dots and +tags ignored for the providers that do so).
    email_provider_rules: bool = False
    #: Key file for the HMAC tokens; HOGO_TOKEN_KEY is used when omitted.
    token_key_file: Path | None = None

    @model_validator(mode="after")
    def _known_keys(self) -> Self:
        unknown = [k for k in self.keys if k not in MATCH_KEYS]
        if unknown or not self.keys:
            raise ValueError(f"match keys must be among {', '.join(MATCH_KEYS)}")
        return self


class OutputSpec(_Spec):
    dir: Path
    format: str = Field(default="parquet", pattern="^(parquet|csv)$")
    #: Member columns provided, each with the policy data category it belongs to.
    items: dict[str, str] = Field(default_factory=dict)


class ReleaseSpec(_Spec):
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    mode: ReleaseMode
    purpose: Identifier
    recipient: Identifier
    at: datetime | None = None
    members: InputSpec
    partner: InputSpec | None = None
    #: A consent snapshot (`hogo consent snapshot`) to read instead of the store; refused if stale.
    consent_snapshot: Path | None = None
    match: MatchSpec = MatchSpec()
    output: OutputSpec
    anonymization: AnonymizationSpec | None = None
    aggregate: AggregateSpec | None = None

    @property
    def decision_recipient(self) -> str | None:
        """Whose provision the decision engine judges.

        Personal data leaves to the recipient, so 法27条/法28条 apply to it. 匿名加工情報 and
        statistics are not personal data: what needs a legal basis is using the persons' data to
        make them, within the purpose of use (objections honoured), so no recipient is judged.
        """
        return self.recipient if self.mode is ReleaseMode.personal else None

    @model_validator(mode="after")
    def _mode_sections(self) -> Self:
        if "member_id" not in self.members.columns:
            raise ValueError("members.columns must map member_id")
        if self.mode is ReleaseMode.anonymized and self.anonymization is None:
            raise ValueError("an anonymized release needs the anonymization section")
        if self.mode is ReleaseMode.aggregate and self.aggregate is None:
            raise ValueError("an aggregate release needs the aggregate section")
        if self.mode is ReleaseMode.personal and self.partner is None:
            raise ValueError("a personal release provides data about partner-matched members: add partner")
        return self


def load_spec(path: Path) -> ReleaseSpec:
    """Read and validate a spec; relative paths are taken from the spec's folder."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"ファイルがありません: {path}", f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: UTF-8で保存してください。", f"{path}: not UTF-8 text.") from None
    data: Any = load_user_yaml(text, str(path))
    return parse_spec(data, path.parent, str(path))


def parse_spec(data: Any, base: Path, where: str = "spec") -> ReleaseSpec:
    """Validate a spec given as a mapping (YAML or JSON); relative paths are taken from `base`."""
    path = where
    if not isinstance(data, dict):
        raise InputError(f"{path}: キーと値の対応で書いてください。", f"{path}: expected a mapping.")
    data = copy.deepcopy(data)
    for section in ("members", "partner"):
        part = data.get(section)
        if isinstance(part, dict) and isinstance(part.get("path"), str):
            part["path"] = str(base / part["path"])
    if isinstance(data.get("consent_snapshot"), str):
        data["consent_snapshot"] = str(base / data["consent_snapshot"])
    if isinstance(data.get("output"), dict) and isinstance(data["output"].get("dir"), str):
        data["output"]["dir"] = str(base / data["output"]["dir"])
    anon = data.get("anonymization")
    if isinstance(anon, dict) and isinstance(anon.get("quasi_identifiers"), dict):
        # name: hierarchy shorthand, as `hogo anonymize --qi name=rule` takes it
        anon["quasi_identifiers"] = [
            QISpec.parse_option(f"{k}={v}", base).model_dump() for k, v in anon["quasi_identifiers"].items()
        ]
    try:
        return ReleaseSpec.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise InputError(
            f"{path}: 仕様に誤りがあります: {details}", f"{path}: invalid spec: {details}"
        ) from None
