"""What to anonymise and how: the spec given on the command line or in a YAML file.

Why explicit roles: rule 34 asks that identifying descriptions and linking codes be removed, so
every output column must have a declared role. Columns that are not named as a quasi-identifier,
sensitive or kept attribute are dropped, and kept columns whose names look like identifiers are
refused unless explicitly allowed.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hogo.anonymization.metrics import Metric
from hogo.anonymization.models import LVariant, PrivacyModel
from hogo.anonymization.unusual import UnusualMode
from hogo.errors import InputError
from hogo.files.yaml_document import load_user_yaml


class BuilderKind(StrEnum):
    arx = "arx"
    interval = "interval"
    date = "date"
    postal = "postal"
    mask = "mask"


class QISpec(BaseModel):
    """One quasi-identifier and how to build its hierarchy."""

    model_config = ConfigDict(extra="forbid")
    name: str
    kind: BuilderKind = BuilderKind.arx
    path: Path | None = None
    widths: list[float] = Field(default_factory=list)
    steps: int | None = None
    max_level: int | None = None

    @classmethod
    def parse_option(cls, text: str, base: Path | None = None) -> QISpec:
        """Parse ``--qi``: ``name=file.csv``, ``name=interval:5,10,20``, ``name=date``,
        ``name=postal`` or ``name=mask[:n]``."""
        name, _, rule = text.partition("=")
        if not name or not rule:
            raise InputError(
                "準識別子は 名前=階層 の形で指定してください。",
                "use name=hierarchy for --qi",
                field=name or "qi",
            )
        kind, _, arg = rule.partition(":")
        try:
            if kind == "interval":
                return cls(
                    name=name, kind=BuilderKind.interval, widths=[float(w) for w in arg.split(",") if w]
                )
            if kind in ("date", "postal"):
                return cls(name=name, kind=BuilderKind(kind))
            if kind == "mask":
                return cls(name=name, kind=BuilderKind.mask, steps=int(arg) if arg else None)
        except ValueError:
            raise InputError("階層の指定が不正です。", "invalid hierarchy option", field=name) from None
        path = Path(rule)
        if base is not None and not path.is_absolute():
            path = base / path
        return cls(name=name, kind=BuilderKind.arx, path=path)


class AnonymizationSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quasi_identifiers: list[QISpec]
    sensitive: list[str] = Field(default_factory=list)
    keep: list[str] = Field(default_factory=list)
    drop: list[str] = Field(default_factory=list)
    id_column: str | None = None
    id_mode: str = "random"  # random | drop
    id_output: str = "release_id"
    k: int = 2
    l: int | None = None  # noqa: E741
    l_variant: LVariant = LVariant.distinct
    t: float | None = None
    suppression: float = 0.0
    metric: Metric = Metric.loss
    unusual: UnusualMode = UnusualMode.topcode
    unusual_min_count: int | None = None
    unusual_quantiles: tuple[float, float] = (0.01, 0.99)
    unusual_columns: list[str] | None = None
    sampling_fraction: float = 1.0
    allow_identifier_like: list[str] = Field(default_factory=list)
    business_name: str = "（事業者名）"
    provision_method: str = "電子ファイル（Parquet 形式）を暗号化して送付"
    recipient: str | None = None
    shuffle: bool = True

    def privacy_model(self) -> PrivacyModel:
        return PrivacyModel(
            k=self.k, l=self.l, l_variant=self.l_variant, t=self.t, suppression_limit=self.suppression
        )

    @classmethod
    def from_yaml(cls, path: Path) -> AnonymizationSpec:
        if not path.is_file():
            raise InputError("設定ファイルが見つかりません。", "spec file not found", field=path.name)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("UTF-8で保存してください。", "not UTF-8 text", field=path.name) from None
        raw: Any = load_user_yaml(text, path.name)
        if not isinstance(raw, dict):
            raise InputError("YAML の形式が不正です。", "the YAML must be a mapping", field=path.name)
        qis = raw.get("quasi_identifiers", [])
        if isinstance(qis, dict):  # name: rule shorthand
            raw["quasi_identifiers"] = [
                QISpec.parse_option(f"{k}={v}", path.parent).model_dump() for k, v in qis.items()
            ]
        else:
            for q in qis:
                if isinstance(q, dict) and q.get("path") and not Path(q["path"]).is_absolute():
                    q["path"] = str(path.parent / q["path"])
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise InputError(
                "設定の項目が不正です。", f"invalid setting: {first['type']}", field=where
            ) from None


# Names that suggest a direct identifier or linking code (rule 34 items 1–3).
IDENTIFIER_LIKE = re.compile(
    r"(^|[_\-\s])(id|uuid|token|email|e_?mail|mail|phone|tel|mobile|name|address|addr|my_?number|"
    r"passport|licen[cs]e|insurance|account|card|ip|cookie|device)([_\-\s]|$)|氏名|名前|住所|電話|メール|"
    r"マイナンバー|個人番号|旅券|免許|会員番号|口座",
    re.IGNORECASE,
)


def looks_like_identifier(column: str) -> bool:
    return bool(IDENTIFIER_LIKE.search(column))
