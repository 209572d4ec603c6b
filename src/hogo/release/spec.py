"""The release spec: what is matched, for which purpose and recipient, and what leaves.

Written by a data engineer as YAML and validated whole before any data is read, so a typo in a
column mapping fails in a second, not after matching seventy million rows.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePath
from typing import Any, Self, TypeVar

from pydantic import BaseModel, Field, ValidationError, model_validator

from hogo.anonymization.spec import AnonymizationSpec, QISpec
from hogo.config import load_settings
from hogo.domain.ids import Identifier
from hogo.domain.model import Frozen
from hogo.domain.provision import ReleaseMode
from hogo.domain.related_info import IdentifierKind
from hogo.engines import EngineName
from hogo.errors import InputError
from hogo.files.confine import inside, refused
from hogo.files.yaml_document import load_user_yaml
from hogo.matching.inputs import InputSpec
from hogo.release.aggregate import AggregateSpec

MATCH_KEYS = ("email", "phone")
#: An item taken from a recorded profile run: `profile:<job id>.<feature>` (docs/profiling.md).
PROFILE_ITEM = re.compile(r"^profile:(?P<job>[A-Za-z0-9_\-]{1,64})\.(?P<feature>[a-z][a-z0-9_]{0,62})$")


_M = TypeVar("_M", bound=BaseModel)


class MatchSpec(Frozen):
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


class KeySpec(InputSpec):
    """The identifier mapping of a release keyed by cookie or device id (`output.key`): one row
    per identifier, `columns` mapping `member_id` and `identifier`. hogo itself links the id to a
    member, so what goes out is 個人データ for hogo (提供元基準) and the release is a personal
    provision under 法27条 (docs/profiling.md)."""

    kind: IdentifierKind

    @model_validator(mode="after")
    def _mapped(self) -> Self:
        if not {"member_id", "identifier"} <= set(self.columns):
            raise ValueError("output.key.columns must map member_id and identifier")
        return self


class OutputSpec(Frozen):
    #: Where the release folder (named by the release id) is created.
    dir: Path
    format: str = Field(default="parquet", pattern="^(parquet|csv)$")
    #: Member columns provided, each with the policy data category it belongs to; an item named
    #: `profile:<job id>.<feature>` is that feature of a recorded profile run, joined on member id.
    items: dict[str, str] = Field(default_factory=dict)
    #: Rows keyed by a cookie/device id linked to members instead of the partner's rows.
    key: KeySpec | None = None

    @property
    def data_items(self) -> list[str]:
        """What the recipient gets, as the 法29条 record names it: the items, and the identifier
        the rows are keyed by when there is one (`cookie_id`, `device_id`, `ad_id`)."""
        return [*self.items, *([self.key.kind.column] if self.key else [])]

    @property
    def member_items(self) -> list[str]:
        """The items read from the members input (the others come from profile runs)."""
        return [k for k in self.items if not k.startswith("profile:")]

    @property
    def profile_items(self) -> dict[str, tuple[str, str]]:
        """Each profile item with its (job id, feature)."""
        found = {k: PROFILE_ITEM.match(k) for k in self.items if k.startswith("profile:")}
        return {k: (m["job"], m["feature"]) for k, m in found.items() if m is not None}

    @model_validator(mode="after")
    def _profile_items_named(self) -> Self:
        bad = [k for k in self.items if k.startswith("profile:") and PROFILE_ITEM.match(k) is None]
        if bad:
            raise ValueError(f"a profile item is profile:<job id>.<feature>: {', '.join(bad)}")
        return self


class ReleaseSpec(Frozen):
    id: Identifier | None = None
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
    #: The data engine that runs the release (`hogo.engines`); HOGO_ENGINE when omitted.
    engine: EngineName | None = None

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
        if unused := [k for k in self.output.profile_items if k not in self._carried()]:
            raise ValueError(
                f"profile items must be among the quasi-identifiers, sensitive or kept columns "
                f"(anonymized) or the dimensions or measures (aggregate): {', '.join(unused)}"
            )
        if self.mode is ReleaseMode.personal and (self.partner is None) == (self.output.key is None):
            raise ValueError(
                "a personal release keys its rows by the partner's rows (partner) or by an identifier "
                "linked to members (output.key): give one of them"
            )
        if self.output.key is not None and self.mode is not ReleaseMode.personal:
            raise ValueError(
                "rows keyed by an identifier linked to members are personal data: mode must be personal"
            )
        return self

    @property
    def mode_columns(self) -> list[str]:
        """The columns 匿名加工情報 (quasi-identifiers, sensitive, kept) or statistics (dimensions,
        measures) read; nothing else of a person leaves the engine in those modes."""
        if self.anonymization is not None and self.mode is ReleaseMode.anonymized:
            a = self.anonymization
            return [*(q.name for q in a.quasi_identifiers), *a.sensitive, *a.keep]
        if self.aggregate is not None and self.mode is ReleaseMode.aggregate:
            return [*self.aggregate.dimensions, *self.aggregate.measures]
        return []

    def _carried(self) -> set[str]:
        """The columns the mode carries into its output: every item for personal data."""
        return set(self.output.items) if self.mode is ReleaseMode.personal else set(self.mode_columns)


@dataclass(frozen=True)
class SpecPaths:
    """How the path keys of a spec are read: every one of them goes through here.

    The operator's CLI (`local`) takes paths as given, relative ones from the spec's folder. A
    spec submitted over the API or the console (`confined`) names inputs relative to the data
    folder and output folders relative to hogo's releases folder; anything absolute, with `..`
    or leading out through a symlink is refused with one text that reveals nothing about the
    server's files (`hogo.files.confine`).
    """

    inputs: Path
    outputs: Path
    confined: bool

    @classmethod
    def local(cls, base: Path) -> SpecPaths:
        return cls(base, base, confined=False)

    @classmethod
    def submitted(cls, inputs: Path, releases: Path) -> SpecPaths:
        return cls(inputs, releases, confined=True)

    def input(self, raw: object, field: str) -> object:
        if not isinstance(raw, str | PurePath):
            return self._not_text(raw, field)
        if self.confined:
            return str(inside(self.inputs, raw, field, must_exist=True))
        return str(self.inputs / raw)

    def output(self, raw: object, field: str) -> object:
        if raw is None:
            return str(self.outputs.resolve() if self.confined else load_settings().releases_root)
        if not isinstance(raw, str | PurePath):
            return self._not_text(raw, field)
        if self.confined:
            return str(inside(self.outputs, raw, field, must_exist=False))
        return str(self.outputs / raw)

    def read_inputs(self, data: dict[str, Any], *keys: str) -> None:
        """Each dotted key of ``data`` that is given (`members.path`, `consent_snapshot` …), read
        as an input path, in place: the one way every spec's input keys are read."""
        for key in keys:
            *parents, name = key.split(".")
            part: Any = data
            for parent in parents:
                part = part.get(parent) if isinstance(part, dict) else None
            if isinstance(part, dict) and part.get(name) is not None:
                part[name] = self.input(part[name], key)

    def read_output_section(self, data: dict[str, Any]) -> None:
        """`output.dir` read as an output folder, in place; a job without an output section writes
        to the default folder (releases name theirs)."""
        output = data.get("output")
        if output is None or isinstance(output, dict):
            output = data["output"] = dict(output or {})
            output["dir"] = self.output(output.get("dir"), "output.dir")

    def _not_text(self, raw: object, field: str) -> object:
        """A value that is not a path: validation reports it, but a submitted spec is refused here
        so that nothing reaches a file without passing the confinement."""
        if self.confined:
            raise refused(field)
        return raw


def load_spec(path: Path) -> ReleaseSpec:
    """Read and validate a spec file (CLI); relative paths are taken from the spec's folder.

    An omitted ``output.dir`` is hogo's releases folder (HOGO_RELEASE_DIR).
    """
    return parse_spec(read_spec_file(path), path.parent, str(path))


def read_spec_file(path: Path) -> Any:
    """A spec file's YAML (UTF-8, with or without BOM), for release and profile specs alike."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"ファイルがありません: {path}", f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: UTF-8で保存してください。", f"{path}: not UTF-8 text.") from None
    return load_user_yaml(text, str(path))


def parse_spec(data: Any, base: Path | SpecPaths, where: str = "spec") -> ReleaseSpec:
    """Validate a spec given as a mapping (YAML or JSON).

    ``base`` is a folder (local paths, relative ones from it) or the :class:`SpecPaths` rule to
    apply (`SpecPaths.submitted` for the API and the console). An omitted ``output.dir`` is
    hogo's releases folder.
    """
    paths = SpecPaths.local(base) if isinstance(base, Path) else base
    path = where
    if not isinstance(data, dict):
        raise InputError(f"{path}: キーと値の対応で書いてください。", f"{path}: expected a mapping.")
    data = copy.deepcopy(data)
    _rebase(data, paths)
    return validated(ReleaseSpec, data, path)


def validated(model: type[_M], data: dict[str, Any], where: str) -> _M:
    """``data`` as ``model``; every problem named by its key in one error (release and profile specs)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_url=False, include_input=False)
        )
        raise InputError(
            f"{where}: 仕様に誤りがあります: {details}", f"{where}: invalid spec: {details}"
        ) from None


def _rebase(data: dict[str, Any], paths: SpecPaths) -> None:
    """Every path key of the spec, read by ``paths`` (in place)."""
    paths.read_inputs(
        data, "members.path", "partner.path", "consent_snapshot", "match.token_key_file", "output.key.path"
    )
    output = data.get("output")
    if isinstance(output, dict):
        output["dir"] = paths.output(output.get("dir"), "output.dir")
    anon = data.get("anonymization")
    if isinstance(anon, dict):
        _rebase_hierarchies(anon, paths)


def _rebase_hierarchies(anon: dict[str, Any], paths: SpecPaths) -> None:
    """The hierarchy files of the anonymization's quasi-identifiers (either spelling of the list)."""
    qis = anon.get("quasi_identifiers")
    if isinstance(qis, dict):
        # name: hierarchy shorthand, as `hogo anonymize --qi name=rule` takes it
        qis = anon["quasi_identifiers"] = [
            QISpec.parse_option(f"{k}={v}").model_dump(exclude_none=True) for k, v in qis.items()
        ]
    if isinstance(qis, list):
        for n, q in enumerate(qis):
            if isinstance(q, dict) and q.get("path") is not None:
                q["path"] = paths.input(q["path"], f"anonymization.quasi_identifiers[{n}].path")
