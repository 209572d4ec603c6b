"""Profiles (プロファイリング、通則編3-1-1): start a profile job, follow it, read its manifest.

`POST /profiles` takes the job spec as JSON (the keys of the YAML `hogo profile run` reads;
the purchases and any consent snapshot are named relative to HOGO_INPUT_DIR and the output folder
relative to HOGO_RELEASE_DIR, and nothing may lead outside them — as submitted release specs),
judges it at once (purpose, data categories: a job outside its purpose is refused before it
runs) and answers 202 with the job id; the job runs in the background. The outputs are personal
data: only roles allowed to handle personal data may start a job. Reading the list and a run's
manifest (counts, bases, reasons, feature definitions, digests — no person) is for every reader.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from hogo.api.problems import responses
from hogo.api.runs import Operation, add_run_routes
from hogo.api.schemas import Out
from hogo.http.deps import Reader, SessionDep
from hogo.services import profiles as service

router = APIRouter(prefix="/profiles", tags=["profiles"])

ProfilePath = Annotated[str, Path(min_length=1, max_length=64, description="プロファイルID / profile job id")]


class ProfileSummaryOut(Out):
    profile_id: str
    purpose: str = Field(description="プロファイリングの利用目的 / the profiling purpose")
    status: str = Field(description="running / done / failed")
    run_at: datetime = Field(description="判定の基準日時 / the run time decisions are made at")
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    rows_erased: int = Field(description="消去(法35条)により出力から削除した行数 / rows erased since")
    output_sha256: str | None = Field(description="出力ファイルの現在の SHA-256 / the output's digest now")
    ledger_seq: int | None
    error: str | None = Field(description="失敗の理由(個人データを含まない)/ why it failed")


class ProfileOut(ProfileSummaryOut):
    manifest: dict[str, Any] | None = Field(description="manifest.json(完了時)/ the manifest when done")


class ProfileListOut(BaseModel):
    items: list[ProfileSummaryOut]


add_run_routes(
    router,
    spec="プロファイル仕様(YAML と同じキー、相対パス)/ the job spec as JSON",
    submitted=service.submitted_profile_spec,
    start=service.start_profile,
    run_id="profile_id",
    listing=service.list_profiles,
    summary=ProfileSummaryOut.build,
    listed=ProfileListOut,
    operations=(
        Operation(
            "startProfile",
            "プロファイルを開始します(バックグラウンドで実行)/ start a profile job in the background.",
        ),
        Operation("listProfiles", "プロファイルの一覧(新しい順)/ profile runs, newest first."),
    ),
)


@router.get("/{profile_id}", operation_id="getProfile", response_model=ProfileOut, responses=responses(404))
def get_profile(profile_id: ProfilePath, session: SessionDep, _: Reader) -> ProfileOut:
    """プロファイルの状態とマニフェスト(人・スコアを含まない)/ a run's status and manifest."""
    info = service.get_profile(session, profile_id)
    return ProfileOut.build(info, manifest=info.manifest or None)
