"""Releases: the list (mode, purpose, recipient, counts, status) and one release's manifest.

The detail page summarises the manifest: counts, the legal basis of each person provided, the
match report, the 法29条 record for personal data, and for 匿名加工情報 the rule-34 checklist, k
achieved, the generalisation levels and the 公表事項 text. Files of a personal-mode release are
personal data provided to a third party: only roles allowed to handle personal data get them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from starlette.responses import Response

from hogo.auth.roles import Permission
from hogo.domain.display import pick, title_pair
from hogo.domain.policy import Policy
from hogo.files.people_csv import spreadsheet_csv
from hogo.http.deps import SessionDep
from hogo.services import releases as service
from hogo.services.policy import current_policy
from hogo.web.i18n import exclusion_text, translator
from hogo.web.render import language, render
from hogo.web.session import NotAllowed, Viewer

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
class Figure:
    label: str
    value: int


@dataclass(frozen=True)
class ExclusionRow:
    code: str
    text: str
    article: str
    persons: int


@dataclass(frozen=True)
class ProvisionSummary:
    recipient_name: str
    recipient_country: str
    persons: int
    data_items: tuple[str, ...]
    retention_until: date | None


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
    provision: ProvisionSummary | None
    anonymization: AnonymizationSummary | None
    announcement: str | None
    suppression: dict[str, int] | None
    files: tuple[FileLink, ...]
    ledger_seq: int | None


_COUNT_KEYS = ("candidates", "allowed", "excluded")
_MATCH_KEYS = (
    ("members", "release.match.members"),
    ("partner_rows", "release.match.partner_rows"),
    ("matched_partner_rows", "release.match.matched"),
    ("unambiguous_partner_rows", "release.match.unambiguous"),
    ("ambiguous_partner_rows", "release.match.ambiguous"),
    ("cross_key_conflicts", "release.match.conflicts"),
)


def _summary(info: service.ReleaseInfo, policy: Policy | None, lang: str) -> ReleaseSummary:
    purpose = policy.purpose(info.purpose) if policy else None
    recipient = policy.recipient(info.recipient) if policy else None
    return ReleaseSummary(
        release_id=info.release_id,
        mode=info.mode.value,
        mode_label=info.mode.text(lang),
        purpose=info.purpose,
        purpose_title=purpose.title if purpose else info.purpose,
        recipient=info.recipient,
        recipient_name=recipient.name if recipient else info.recipient,
        status=info.status,
        status_label=pick(title_pair("ReleaseStatus", info.status), lang),
        started_at=info.started_at,
        finished_at=info.finished_at,
        counts=info.counts,
    )


def _error(text: str | None, lang: str) -> str | None:
    """Errors are stored as Japanese, a line break, English (or one line for both)."""
    if text is None:
        return None
    ja, _, en = text.partition("\n")
    return en if lang == "en" and en else ja


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _anonymization(manifest: dict[str, Any], lang: str) -> AnonymizationSummary | None:
    a = manifest.get("anonymization")
    if not isinstance(a, dict):
        return None
    heights = a.get("heights") or {}
    model = a.get("model") or {}
    k = model.get("k") if isinstance(model, dict) else None
    checklist = tuple(
        ChecklistRow(
            _int(c.get("measure")),
            str(c.get("title_en" if lang == "en" else "title_ja", "")),
            bool(c.get("met")),
            str(c.get("how_en" if lang == "en" else "how_ja", "")),
        )
        for c in a.get("checklist", [])
        if isinstance(c, dict)
    )
    return AnonymizationSummary(
        k_achieved=_int(a.get("k_achieved")),
        k_required=k if isinstance(k, int) else None,
        l_achieved=a.get("l_achieved") if isinstance(a.get("l_achieved"), int) else None,
        rows_in=_int(a.get("rows_in")),
        rows_out=_int(a.get("rows_out")),
        suppressed=_int(a.get("suppressed")),
        levels=tuple(
            (str(name), _int(level), heights.get(name) if isinstance(heights.get(name), int) else None)
            for name, level in (a.get("levels") or {}).items()
        ),
        checklist=checklist,
    )


def _exclusions(manifest: dict[str, Any], lang: str) -> tuple[ExclusionRow, ...]:
    """Each exclusion count with its reason in words (the manifest's `excluded_by_reason`)."""
    rows = []
    for code, n in _section(manifest, "excluded_by_reason").items():
        text, article = exclusion_text(str(code), lang)
        rows.append(ExclusionRow(str(code), text, article, _int(n)))
    return tuple(sorted(rows, key=lambda r: (-r.persons, r.code)))


def _section(manifest: dict[str, Any], key: str) -> dict[str, Any]:
    value = manifest.get(key)
    return value if isinstance(value, dict) else {}


def _provision(manifest: dict[str, Any]) -> ProvisionSummary | None:
    r = manifest.get("provision_record")
    if not isinstance(r, dict):
        return None
    until = r.get("retention_until")
    return ProvisionSummary(
        recipient_name=str(r.get("recipient_name", "")),
        recipient_country=str(r.get("recipient_country", "")),
        persons=_int(r.get("persons")),
        data_items=tuple(str(i) for i in r.get("data_items", [])),
        retention_until=date.fromisoformat(until) if isinstance(until, str) else None,
    )


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
    match, bases, suppression = _section(m, "match"), _section(m, "bases"), _section(m, "suppression")
    announcement = m.get("announcement")
    page = ReleasePage(
        release=_summary(info, current_policy(session), lang),
        error=_error(info.error, lang),
        counts=tuple(Figure(t(f"releases.{k}"), info.counts[k]) for k in _COUNT_KEYS if k in info.counts),
        exclusions=_exclusions(m, lang),
        bases=tuple(Figure(pick(title_pair("Basis", b), lang), _int(n)) for b, n in bases.items()),
        match=tuple(Figure(t(label), _int(match.get(k))) for k, label in _MATCH_KEYS) if match else (),
        provision=_provision(m),
        anonymization=_anonymization(m, lang),
        announcement=announcement if isinstance(announcement, str) else None,
        suppression={k: _int(v) for k, v in suppression.items() if k in ("cells", "primary", "complementary")}
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
        raise NotAllowed()
    if as_format == "csv" and name.endswith(".parquet"):
        csv_name = name.removesuffix(".parquet") + ".csv"
        return StreamingResponse(
            spreadsheet_csv(found.path),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{quote(csv_name)}"'},
        )
    return FileResponse(found.path, filename=name, media_type="application/octet-stream")
