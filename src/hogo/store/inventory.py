"""Table for the 管理台帳. Each dataset is stored as the canonical JSON of its domain model.

Past versions are not kept here but in the ledger (each change appends the whole dataset with its
version number), so the history is tamper-evident rather than merely stored.
"""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hogo.store.tables import Base, StoredDocument


class InventoryDatasetRow(StoredDocument, Base):
    __tablename__ = "inventory_datasets"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    ledger_seq: Mapped[int] = mapped_column(Integer, nullable=False)
