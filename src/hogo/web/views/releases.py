"""Releases: the list (mode, purpose, recipient, counts, status) and one release's manifest.

The detail page summarises the manifest: counts, the legal basis of each person provided, the
match report, the 法29条 record for personal data, and for 匿名加工情報 the rule-34 checklist, k
achieved, the generalisation levels and the 公表事項 text. Files of a personal-mode release are
personal data provided to a third party: only roles allowed to handle personal data get them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.policy import Policy
from hogo.domain.provision import ProvisionRecord
from hogo.files.people_csv import spreadsheet_csv
from hogo.http.deps import Forbidden, SessionDep
from hogo.services import releases as service
from hogo.services.policy import current_policy
from hogo.web.i18n import translator
from hogo.web.manifests import (
    ExclusionRow,
    Figure,
    as_int,
    bases,
    error_text,
    exclusions,
    run_summary,
    section,
)
from hogo.web.render import language, render
from hogo.web.session import Viewer

router = APIRouter()


@dataclass(frozen=True)
class ReleaseSummary:
    release_id: str
    mode: str
    mode_label: str
    purpose: str
    purpose_title: str
    recipient: str
    recipient_name: str
    status: str
    status_label: str
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]


@dataclass(frozen=True)
class ReleasesPage:
    releases: tuple[ReleaseSummary, ...]
    can_start: bool = False


@dataclass(frozen=True)
class ChecklistRow:
    measure: int
    title: str
    met: bool
    how: str


@dataclass(frozen=True)
class AnonymizationSummary:
    k_achieved: int
    k_required: int | None
    l_achieved: int | None
    rows_in: int
    rows_out: int
    suppressed: int
    levels: tuple[tuple[str, int, int | None], ...]  # (quasi-identifier, level, hierarchy height)
    checklist: tuple[ChecklistRow, ...]


@dataclass(frozen=True)
class FileLink:
    name: str
    personal: bool
    downloadable: bool
    href: str

    @property
    def csv_href(self) -> str | None:
        """Parquet files are also offered as CSV for spreadsheets (converted when downloaded)."""
        return f"{self.href}?format=csv" if self.name.endswith(".parquet") else None


@dataclass(frozen=True)
class ReleasePage:
    release: ReleaseSummary
    error: str | None
    counts: tuple[Figure, ...]
    exclusions: tuple[ExclusionRow, ...]
    bases: tuple[Figure, ...]
    match: tuple[Figure, ...]
    provision: ProvisionRecord | None
    anonymization: AnonymizationSummary | None
    announcement: str | None
    suppression: dict[str, int] | None
    files: tuple[FileLink, ...]
    ledger_seq: int | None


_COUNT_KEYS = ("candidates", "allowed", "excluded")
_SUPPRESSION_KEYS = ("cells", "primary", "complementary")
_MATCH_KEYS = (
    ("members", "release.match.members"),
    ("partner_rows", "release.match.partner_rows"),
    ("matched_partner_rows", "release.match.matched"),
    ("unambiguous_partner_rows", "release.match.unambiguous"),
    ("ambiguous_partner_rows", "release.match.ambiguous"),
    ("cross_key_conflicts", "release.match.conflicts"),
)


def _summary(info: service.ReleaseInfo, policy: Policy | None, lang: str) -> ReleaseSummary:
    recipient = policy.recipient(info.recipient) if policy else None
    return run_summary(
        ReleaseSummary,
        info,
        policy,
        lang,
        mode=info.mode.value,
        mode_label=info.mode.text(lang),
        recipient_name=recipient.name if recipient else info.recipient,
    )


def _anonymization(manifest: dict[str, Any], lang: str) -> AnonymizationSummary | None:
    a = manifest.get("anonymization")
    if not isinstance(a, dict):
        return None
    heights = a.get("heights") or {}
    model = a.get("model") or {}
    k = model.get("k") if isinstance(model, dict) else None
    checklist = tuple(
        ChecklistRow(
            as_int(c.get("measure")),
            str(c.get("title_en" if lang == "en" else "title_ja", "")),
            bool(c.get("met")),
            str(c.get("how_en" if lang == "en" else "how_ja", "")),
        )
        for c in a.get("checklist", [])
        if isinstance(c, dict)
    )
    return AnonymizationSummary(
        k_achieved=as_int(a.get("k_achieved")),
        k_required=k if isinstance(k, int) else None,
        l_achieved=a.get("l_achieved") if isinstance(a.get("l_achieved"), int) else None,
        rows_in=as_int(a.get("rows_in")),
        rows_out=as_int(a.get("rows_out")),
        suppressed=as_int(a.get("suppressed")),
        levels=tuple(
            (str(name), as_int(level), heights.get(name) if isinstance(heights.get(name), int) else None)
            for name, level in (a.get("levels") or {}).items()
        ),
        checklist=checklist,
    )


def _provision(manifest: dict[str, Any]) -> ProvisionRecord | None:
    """The 法29条 record of a personal-data release, as the release dumped it into its manifest."""
    r = manifest.get("provision_record")
    return ProvisionRecord.model_validate(r) if isinstance(r, dict) else None


@router.get("/releases", include_in_schema=False)
def releases_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    lang = language(request)
    policy = current_policy(session)
    rows = tuple(_summary(i, policy, lang) for i in service.list_releases(session))
    page = ReleasesPage(rows, user.can(Permission.personal_data))
    return render(request, "releases.html", page, user)


@router.get("/releases/{release_id}", include_in_schema=False)
def release_page(
    request: Request, session: SessionDep, user: Viewer, release_id: str = Path(max_length=200)
) -> Response:
    lang = language(request)
    t = translator(lang)
    info = service.get_release(session, release_id)
    m = info.manifest
    may_personal = user.can(Permission.personal_data)
    match, suppression = section(m, "match"), section(m, "suppression")
    announcement = m.get("announcement")
    page = ReleasePage(
        release=_summary(info, current_policy(session), lang),
        error=error_text(info.error, lang),
        counts=tuple(Figure(t(f"releases.{k}"), info.counts[k]) for k in _COUNT_KEYS if k in info.counts),
        exclusions=exclusions(m, lang),
        bases=bases(m, lang),
        match=tuple(Figure(t(label), as_int(match.get(k))) for k, label in _MATCH_KEYS) if match else (),
        provision=_provision(m),
        anonymization=_anonymization(m, lang),
        announcement=announcement if isinstance(announcement, str) else None,
        suppression={k: as_int(v) for k, v in suppression.items() if k in _SUPPRESSION_KEYS}
        if suppression
        else None,
        files=tuple(
            FileLink(
                n,
                info.personal(n),
                may_personal or not info.personal(n),
                f"/releases/{quote(info.release_id)}/files/{quote(n)}",
            )
            for n in info.files
        ),
        ledger_seq=m.get("ledger_seq") if isinstance(m.get("ledger_seq"), int) else None,
    )
    return render(request, "release.html", page, user)


@router.get("/releases/{release_id}/files/{name}", include_in_schema=False)
def release_download(
    session: SessionDep,
    user: Viewer,
    release_id: str = Path(max_length=200),
    name: str = Path(max_length=255),
    as_format: Annotated[str, Query(alias="format", pattern="^(csv|original)$")] = "original",
) -> Response:
    found = service.release_file(service.get_release(session, release_id), name)
    if found.personal and not user.can(Permission.personal_data):
        raise Forbidden()
    if as_format == "csv" and name.endswith(".parquet"):
        csv_name = name.removesuffix(".parquet") + ".csv"
        return StreamingResponse(
            spreadsheet_csv(found.path),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{quote(csv_name)}"'},
        )
    return FileResponse(found.path, filename=name, media_type="application/octet-stream")
