"""The personal-information inventory (個人情報管理台帳): list, show with version history, import.

An import is all or nothing: the first bad row stops it with its row number and field (never
the value) and nothing is stored. Every saved version is appended in full to the ledger.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, Query, UploadFile

from hogo.api.problems import responses
from hogo.api.schemas.incidents import (
    DatasetDetailOut,
    DatasetListOut,
    DatasetOut,
    DatasetVersionOut,
    InventoryImportOut,
)
from hogo.domain.ids import Identifier
from hogo.domain.inventory import Inventory
from hogo.errors import InputError
from hogo.files.inventory_io import parse_inventory_csv, parse_inventory_yaml
from hogo.http.deps import Reader, Recorder, SessionDep
from hogo.services import inventory as service

router = APIRouter(prefix="/inventory", tags=["inventory"])

DatasetPath = Annotated[Identifier, Path(description="台帳項目の id / dataset id")]
MAX_UPLOAD = 20 * 1024 * 1024
_YAML_TYPES = {"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"}


def _is_yaml(upload: UploadFile) -> bool:
    name = (upload.filename or "").lower()
    return name.endswith((".yaml", ".yml")) or (upload.content_type or "").split(";")[0] in _YAML_TYPES


def _parse(upload: UploadFile, data: bytes) -> Inventory:
    """CSV (UTF-8, BOM or CP932) or YAML, by the file's name or content type."""
    if len(data) > MAX_UPLOAD:
        raise InputError(
            "ファイルが大きすぎます(20MBまで)。", "the file is too large (20 MB at most).", field="file"
        )
    if not _is_yaml(upload):
        return parse_inventory_csv(data, "CSV")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(
            "YAML: UTF-8で保存してください。", "YAML: save the file as UTF-8.", field="file"
        ) from None
    return parse_inventory_yaml(text, "YAML")


@router.get("", operation_id="listInventory", response_model=DatasetListOut, responses=responses())
def list_inventory(session: SessionDep, _: Reader) -> DatasetListOut:
    """台帳の一覧 / every dataset in the inventory."""
    return DatasetListOut(items=[DatasetOut.of(d) for d in service.load_inventory(session).datasets])


@router.get(
    "/{dataset_id}",
    operation_id="getInventoryDataset",
    response_model=DatasetDetailOut,
    responses=responses(404),
)
def get_dataset(dataset_id: DatasetPath, session: SessionDep, _: Reader) -> DatasetDetailOut:
    """台帳項目と、台帳の記録にあるその版の履歴(古い順)/ a dataset and its versions."""
    dataset, versions = service.history(session, dataset_id)
    return DatasetDetailOut(
        dataset=DatasetOut.of(dataset), versions=[DatasetVersionOut.of(v) for v in versions]
    )


@router.post(
    "/import", operation_id="importInventory", response_model=InventoryImportOut, responses=responses()
)
def import_inventory(
    session: SessionDep,
    _: Recorder,
    file: Annotated[UploadFile, File(description="CSV(UTF-8 / BOM付き / Shift_JIS)又は YAML(.yaml)")],
    replace: Annotated[bool, Query(description="ファイルにない台帳項目を削除する")] = False,
) -> InventoryImportOut:
    """台帳を取り込みます。1行でも誤りがあれば、その行と項目を示して何も保存しません。"""
    data = file.file.read(MAX_UPLOAD + 1)  # a spooled file: read in the thread pool, not the loop
    inventory = _parse(file, data)
    result = service.import_inventory(session, inventory, replace=replace)
    return InventoryImportOut(**result.as_dict())
