"""個人関連情報 segment exports (法31条): start one, follow it, read the confirmation records.

`POST /segments` takes the export spec as JSON (the keys of the YAML `hogo segment export`
reads; the segment file, the confirmation file and any token key file relative to HOGO_INPUT_DIR,
the output folder relative to HOGO_RELEASE_DIR, nothing leading outside them — as submitted
release specs), plans it at once (the recipient, the items' categories) and answers 202; the export
runs in the background and is refused as a whole if the confirmation file is malformed. Starting
one and reading the confirmation records (法31条3項: per identifier, by keyed token) need the
personal-data permission; the list of exports (counts, results, digests) is for every reader.
`POST /segments/records/purge` deletes the records whose retention has ended (as `hogo segment
records purge`; the personal-data permission, as erasure); `dry_run` only says what would go.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from hogo.api.problems import responses
from hogo.api.runs import Operation, add_run_routes
from hogo.api.schemas import Day, Out
from hogo.auth.roles import Permission
from hogo.http.deps import Reader, SessionDep, require
from hogo.services import segment_purge
from hogo.services import segments as service
from hogo.services.auth import Principal

router = APIRouter(prefix="/segments", tags=["segments"])

Exporter = Annotated[Principal, Depends(require(Permission.personal_data))]
ExportPath = Annotated[str, Path(min_length=1, max_length=64, description="提供ID / export id")]


class ExportOut(Out):
    export_id: str
    recipient_id: str
    identifier_kind: str = Field(description="cookie / device / ad_id")
    status: str = Field(description="running / done / failed")
    at: datetime = Field(description="提供(確認)の基準日時 / the provision time")
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, int]
    ledger_seq: int | None
    error: str | None = Field(description="失敗の理由(個人データを含まない)/ why it failed")
    manifest: dict[str, Any] = Field(description="manifest.json(完了時)/ the manifest when done")


class ExportListOut(BaseModel):
    items: list[ExportOut]


class ConfirmationOut(service.ConfirmationRecord, Out):
    identifier_token: str = Field(description="識別子の鍵付きトークン / the identifier's keyed token")
    result: str = Field(description="RELATED_INFO_CONFIRMED または理由コード / or the reason code")
    retention_until: date = Field(description="保存期限 / kept until")


class ConfirmationListOut(BaseModel):
    items: list[ConfirmationOut]


add_run_routes(
    router,
    spec="提供仕様(YAML と同じキー、相対パス)/ the export spec",
    submitted=service.submitted_segment_spec,
    start=service.start_export,
    run_id="export_id",
    listing=service.list_exports,
    summary=ExportOut.build,
    listed=ExportListOut,
    operations=(
        Operation(
            "startSegmentExport",
            "個人関連情報の提供を開始します(バックグラウンド)/ start a segment export in the background.",
            named="Start Export",
        ),
        Operation(
            "listSegmentExports",
            "個人関連情報の提供の一覧(新しい順)/ segment exports, newest first.",
            named="List Exports",
        ),
    ),
)


@router.get("/records", operation_id="listRelatedInfoConfirmations", response_model=ConfirmationListOut,
            responses=responses())  # fmt: skip
def list_records(
    session: SessionDep,
    _: Exporter,
    recipient: Annotated[str | None, Query(max_length=64)] = None,
    export_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> ConfirmationListOut:
    """確認記録(法31条3項)/ the provider's confirmation records."""
    found = service.confirmation_records(session, recipient=recipient, export_id=export_id, limit=limit)
    return ConfirmationListOut(items=[ConfirmationOut.build(r) for r in found])


class PurgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    before: Day | None = Field(
        None,
        description="この日より前に保存期間が終わった記録を削除(既定: 今日、日本時間)/ default today (JST)",
    )
    dry_run: StrictBool = Field(False, description="削除せずに対象を返す / only say what would be purged")


class PurgedExportOut(Out):
    export_id: str
    recipient_id: str
    retention_until: date | None = Field(description="提供の保存期限 / the export's retention end")
    purged: int
    kept: int


class PurgeOut(Out):
    before: date
    dry_run: bool
    purged: int = Field(description="削除した(dry_run: 削除する)記録の数 / records purged")
    exports: list[PurgedExportOut]
    ledger_seq: int | None = Field(description="削除の台帳記録 / the purge's ledger entry")


@router.post("/records/purge", operation_id="purgeRelatedInfoConfirmations", response_model=PurgeOut,
             responses=responses(409))  # fmt: skip
def purge_records(session: SessionDep, _: Exporter, body: PurgeIn) -> PurgeOut:
    """保存期間を過ぎた確認記録の削除(法31条3項)/ purge confirmation records past their retention."""
    done = segment_purge.purge_records(session, body.before, dry_run=body.dry_run)
    return PurgeOut.build(done)


@router.get(
    "/{export_id}", operation_id="getSegmentExport", response_model=ExportOut, responses=responses(404)
)
def get_export(export_id: ExportPath, session: SessionDep, _: Reader) -> ExportOut:
    """提供の状態とマニフェスト(識別子を含まない)/ an export's status and manifest."""
    return ExportOut.build(service.get_export(session, export_id))
