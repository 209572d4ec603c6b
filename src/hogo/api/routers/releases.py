"""Releases (個人データの第三者提供・匿名加工情報・統計情報): start one, follow it, download its files.

`POST /releases` takes the release spec as JSON (the keys of the YAML `hogo release run` reads;
inputs are named relative to HOGO_INPUT_DIR and output folders relative to HOGO_RELEASE_DIR, and
nothing may lead outside them — see docs/releases.md), checks what can be checked at once and
answers 202 with the release id; the release runs in the background. Files of a
personal-mode release are 個人データ provided to a third party: only roles allowed to handle
personal data may download them. 匿名加工情報, statistics, the manifest and the 公表事項 text are
for every reader.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from hogo.api.problems import responses
from hogo.api.runs import Operation, add_run_routes
from hogo.api.schemas import Out
from hogo.auth.roles import Permission
from hogo.http.deps import Forbidden, Reader, SessionDep
from hogo.services import releases as service

router = APIRouter(prefix="/releases", tags=["releases"])

ReleasePath = Annotated[str, Path(min_length=1, max_length=200, description="提供ID / release id")]
FilePath = Annotated[str, Path(min_length=1, max_length=255, description="ファイル名 / file name")]


class ReleaseFileOut(BaseModel):
    name: str
    personal: bool = Field(description="第三者提供する個人データを含む / holds personal data provided")
    downloadable: bool = Field(description="この呼び出し元が取得できるか / whether the caller may download")
    href: str


class ReleaseSummaryOut(Out):
    release_id: str
    mode: str = Field(description="personal(個人データ)/ anonymized(匿名加工情報)/ aggregate(統計情報)")
    purpose: str
    recipient: str
    status: str = Field(description="running / done / failed")
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    error: str | None = Field(description="失敗の理由(個人データを含まない)/ why it failed")


class ReleaseOut(ReleaseSummaryOut):
    manifest: dict[str, Any] | None = Field(description="manifest.json(完了時)/ the manifest when done")
    files: list[ReleaseFileOut]


class ReleaseListOut(BaseModel):
    items: list[ReleaseSummaryOut]


def _summary(info: service.ReleaseInfo) -> ReleaseSummaryOut:
    return ReleaseSummaryOut.build(info, mode=info.mode.value)


add_run_routes(
    router,
    spec="提供仕様(YAML と同じキー、データフォルダからの相対パス)/ the release spec as JSON",
    submitted=service.submitted_spec,
    start=service.start_release,
    run_id="release_id",
    listing=service.list_releases,
    summary=_summary,
    listed=ReleaseListOut,
    operations=(
        Operation(
            "startRelease", "提供を開始します(バックグラウンドで実行)/ start a release in the background."
        ),
        Operation("listReleases", "提供の一覧(新しい順)/ releases, newest first."),
    ),
)


@router.get("/{release_id}", operation_id="getRelease", response_model=ReleaseOut, responses=responses(404))
def get_release(release_id: ReleasePath, session: SessionDep, principal: Reader) -> ReleaseOut:
    """提供の状態とマニフェスト / a release's status and manifest."""
    info = service.get_release(session, release_id)
    may_personal = principal.can(Permission.personal_data)
    files = [
        ReleaseFileOut(
            name=name,
            personal=info.personal(name),
            downloadable=may_personal or not info.personal(name),
            href=f"/api/v1/releases/{quote(info.release_id)}/files/{quote(name)}",
        )
        for name in info.files
    ]
    return ReleaseOut.build(info, mode=info.mode.value, manifest=info.manifest or None, files=files)


@router.get(
    "/{release_id}/files/{name}",
    operation_id="downloadReleaseFile",
    response_class=FileResponse,
    responses={
        200: {
            "description": "ファイル / the file",
            "content": {"application/octet-stream": {}, "application/json": {}, "text/plain": {}},
        },
        **responses(404),
    },
)
def download_file(
    release_id: ReleasePath, name: FilePath, session: SessionDep, principal: Reader
) -> FileResponse:
    """提供ファイルの取得(個人データは権限のある役割のみ)/ download a release file."""
    found = service.release_file(service.get_release(session, release_id), name)
    if found.personal and not principal.can(Permission.personal_data):
        raise Forbidden()
    media = "application/json" if name.endswith(".json") else "text/plain; charset=utf-8"
    if not name.endswith((".json", ".txt")):
        media = "application/octet-stream"
    return FileResponse(found.path, media_type=media, filename=name)
