"""Per-person keys (crypto-shredding): created when a person first appears, destroyed on erasure.

Why: see `hogo.domain.shredding`. Keys are created in batches (a bulk import or a people CSV
of a million persons generates and wraps them in one pass and inserts them in one statement per
chunk); readers open sealed values with `reveal`, which shows 「消去済み」 once a key is gone.

The master key is a 32-byte random key in a file readable by its owner only (base64, one line):
`HOGO_MASTER_KEY_FILE`, or `DATA_DIR/keys/master.key`, created on first use when that setting
is unset. `rotate` rewraps every person's data key under a new master key in one transaction.
"""

from __future__ import annotations

import base64
import os
import stat
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from hogo.config import load_settings
from hogo.domain import shredding as sh
from hogo.domain.ledger import LedgerRow
from hogo.domain.shredding import PersonKeys
from hogo.errors import HogoError, InputError
from hogo.files.atomic import create_private
from hogo.services import ledger
from hogo.store.bulk import rows_in, rows_with
from hogo.store.tables import PersonKeyRow

_CHUNK = 5_000


class MasterKeyError(HogoError):
    """The master key cannot be read or does not open the person keys (never shows the key)."""


@dataclass(frozen=True, slots=True)
class MasterKey:
    key: bytes
    key_id: str
    path: Path

    @property
    def cipher(self) -> AESGCM:
        return AESGCM(self.key)


#: Keys read, by path and the file's identity (inode, size, mtime): a rotated file is read again.
_cache: dict[tuple[str, int, int, int], MasterKey] = {}
#: Where the configured master key lives, by the HOGO_* environment and working folder it was
#: worked out from (`_configured`).
_where: dict[tuple[object, ...], tuple[Path, bool]] = {}
_where_lock = threading.Lock()


def write_master_key(path: Path) -> MasterKey:
    """A new random master key in ``path`` (mode 0600, never overwritten)."""
    key = sh.new_key()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    create_private(path, base64.b64encode(key).decode("ascii") + "\n")
    return MasterKey(key, sh.master_key_id(key), path)


def read_master_key(path: Path) -> MasterKey:
    try:
        info = path.stat()
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise MasterKeyError(
                "マスター鍵のファイルを所有者以外も読めます(chmod 600 にしてください)。",
                "the master key file is readable by others than its owner (chmod 600).",
            )
        identity = (str(path), info.st_ino, info.st_size, info.st_mtime_ns)
        cached = _cache.get(identity)
        if cached is not None:
            return cached
        key = base64.b64decode(path.read_text("ascii").strip(), validate=True)
    except (OSError, ValueError):
        raise MasterKeyError(
            "マスター鍵を読めません(HOGO_MASTER_KEY_FILE)。",
            "cannot read the master key (HOGO_MASTER_KEY_FILE).",
        ) from None
    if len(key) != sh.KEY_BYTES:
        raise MasterKeyError("マスター鍵の長さが違います。", "the master key has the wrong length.")
    found = MasterKey(key, sh.master_key_id(key), path)
    _cache[identity] = found
    return found


def _configured() -> tuple[Path, bool]:
    """The master key's path and whether it is the default one (created on first use).

    Why cached: reading the settings costs about a millisecond and every recorded consent event
    asks. The settings come from the HOGO_* environment only (no settings file), so the answer is
    kept per distinct HOGO_* environment and working folder (a relative path): a changed
    HOGO_MASTER_KEY_FILE or HOGO_DATA_DIR is seen on the next call."""
    key = (
        os.getcwd(),
        *sorted((k.upper(), v) for k, v in os.environ.items() if k.upper().startswith("HOGO_")),
    )
    found = _where.get(key)
    if found is None:
        settings = load_settings()
        found = (settings.master_key_path, settings.master_key_file is None)
        with _where_lock:
            if len(_where) > 64:  # environments change only in tests; keep it bounded anyway
                _where.clear()
            _where[key] = found
    return found


def master_key() -> MasterKey:
    """The configured master key; the default file under the data folder is created on first use.
    The file is checked (owner-only) on every call and read again when it changed (`read_master_key`)."""
    path, default = _configured()
    if default and not path.exists():
        try:
            return write_master_key(path)
        except InputError:  # created by another process just now
            pass
    return read_master_key(path)


def _unwrap(master: MasterKey, cipher: AESGCM, wrapped: bytes, key_id: str, pseudonym: str) -> bytes:
    return _unwrap_many(master, cipher, [(wrapped, key_id, pseudonym)])[0]


def _unwrap_many(master: MasterKey, cipher: AESGCM, keys: Sequence[tuple[bytes, str, str]]) -> list[bytes]:
    """The data keys of (wrapped key, master key id, pseudonym) rows, in order: a batch's persons
    in one pass (`sh.unwrap_many`), not a call chain per person."""
    if any(key_id != master.key_id for _, key_id, _ in keys):
        raise MasterKeyError(
            "本人の鍵が別のマスター鍵で保護されています(鍵の更新の途中?)。",
            "a person key is wrapped by another master key (rotation unfinished?).",
        )
    try:
        return sh.unwrap_many(cipher, [(wrapped, pseudonym) for wrapped, _, pseudonym in keys])
    except sh.SealError:
        raise MasterKeyError("本人の鍵を開けません。", "a person key does not unwrap.") from None


def _conn(bind: Session | Connection) -> Connection:
    return bind.connection() if isinstance(bind, Session) else bind


#: What `lookup` reads of a person's keys (through the driver: none of them needs converting).
_KEY_COLUMNS = ("subject_id", "pseudonym", "digest_key", "wrapped_key", "master_key_id")


def lookup(
    bind: Session | Connection, subject_ids: Iterable[str], *, data: bool = True
) -> dict[str, PersonKeys]:
    """The keys of the persons that have them (an erased person has none); with ``data`` the data
    keys are unwrapped too (needs the master key)."""
    ids = sorted(set(subject_ids))
    master = master_key() if data and ids else None
    return _keys_of(rows_with(_conn(bind), "person_keys", _KEY_COLUMNS, "subject_id", ids), master)


#: `_KEY_COLUMNS` of the registered persons among some ids (key columns NULL for those without).
_REGISTERED = (
    "SELECT s.subject_id, k.pseudonym, k.digest_key, k.wrapped_key, k.master_key_id FROM subjects AS s "
    "LEFT JOIN person_keys AS k ON k.subject_id = s.subject_id WHERE s.subject_id IN "
)


def registered(
    bind: Session | Connection, subject_ids: Iterable[str], *, data: bool = True
) -> tuple[set[str], dict[str, PersonKeys]]:
    """Of ``subject_ids``, the registered persons (those with a subjects row) and the keys of those
    of them that have keys (`lookup`'s, with ``data`` unwrapped), in one look-up.

    Why: `consent.record_events` checked that a batch's persons are registered and then looked
    their keys up, reading each person twice; one look-up joining both costs about 0.5 µs a
    person less."""
    ids = sorted(set(subject_ids))
    master = master_key() if data and ids else None
    rows = rows_in(_conn(bind), _REGISTERED, ids)
    return {r[0] for r in rows}, _keys_of([r for r in rows if r[1] is not None], master)


def _keys_of(rows: Sequence[Sequence[Any]], master: MasterKey | None) -> dict[str, PersonKeys]:
    """Key rows (`_KEY_COLUMNS`) by person; with ``master`` the data keys unwrapped."""
    if master is None:
        return {sid: PersonKeys(pseudonym, bytes(digest_key)) for sid, pseudonym, digest_key, _, _ in rows}
    data_keys = _unwrap_many(master, master.cipher, [(bytes(r[3]), r[4], r[1]) for r in rows])
    return {
        sid: PersonKeys(pseudonym, bytes(digest_key), data_key)
        for (sid, pseudonym, digest_key, _, _), data_key in zip(rows, data_keys, strict=True)
    }


def ensure(
    bind: Session | Connection,
    subject_ids: Iterable[str],
    *,
    data: bool = True,
    found: Mapping[str, PersonKeys] | None = None,
) -> dict[str, PersonKeys]:
    """Every named person's keys (with ``data``, data keys unwrapped), creating those that do not
    exist yet in one batch: random pseudonym, digest key and data key, the data key wrapped by the
    master key. ``found``: keys of some of them looked up already in this transaction
    (`registered`, with the same ``data``); only the others are looked up."""
    ids = set(subject_ids)
    if found is None:
        known: Mapping[str, PersonKeys] = {}
    elif found.keys() == ids:  # the usual batch: every person looked up already
        known = found
    else:
        known = {sid: found[sid] for sid in ids if sid in found}
    keys = {**known, **lookup(bind, ids - known.keys(), data=data)}
    missing = sorted(ids - keys.keys())
    if not missing:
        return keys
    master = master_key()
    cipher = master.cipher
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    created: dict[str, PersonKeys] = {}
    for sid in missing:
        new = PersonKeys(sh.new_pseudonym(), sh.new_key(), sh.new_key())
        assert new.data_key is not None
        created[sid] = new
        rows.append(
            {
                "subject_id": sid,
                "pseudonym": new.pseudonym,
                "digest_key": new.digest_key,
                "wrapped_key": sh.wrap(cipher, new.data_key, new.pseudonym),
                "master_key_id": master.key_id,
                "created_at": now,
            }
        )
    conn = _conn(bind)
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    for i in range(0, len(rows), _CHUNK):
        conn.execute(dialect.insert(PersonKeyRow).on_conflict_do_nothing(), rows[i : i + _CHUNK])
    # another writer may have created some of them first: theirs are the keys
    return {**keys, **created, **lookup(conn, missing, data=data)}


def pseudonyms(bind: Session | Connection, subject_ids: Sequence[str]) -> list[str]:
    """The persons' pseudonyms in the order given (every person must have keys)."""
    found = lookup(bind, subject_ids, data=False)
    return [found[sid].pseudonym for sid in subject_ids]


def destroy(bind: Session | Connection, subject_id: str) -> bool:
    """Delete the person's keys (erasure); True when there were any."""
    result = _conn(bind).execute(delete(PersonKeyRow).where(PersonKeyRow.subject_id == subject_id))
    return bool(result.rowcount)


def digest_key(keys: Mapping[str, PersonKeys], subject_id: str, seq: int, after: int) -> bytes | None:
    """The key a row's digest is made with: the person's digest key for rows bound after the v3
    switch, none before it."""
    if seq <= after:
        return None
    found = keys.get(subject_id)
    return None if found is None else found.digest_key


def ref_of(bind: Session | Connection, subject_id: str) -> list[str]:
    """Every ledger ref the person's entries may carry: the v3 pseudonym's and the plain one of
    entries written before the switch."""
    found = _conn(bind).execute(select(PersonKeyRow.pseudonym).where(PersonKeyRow.subject_id == subject_id))
    refs = [sh.person_ref(p) for p in found.scalars()]
    return [*refs, sh.legacy_ref(subject_id)]


def reveal(bind: Session | Connection, entry: LedgerRow, *, personal: bool = True) -> dict[str, Any]:
    """An entry's payload as a reader sees it: sealed values opened, or 「消去済み」 when the
    person's key was destroyed; without `personal` (a reader without the personal-data
    permission) the personal values are withheld (`domain.shredding.withhold`)."""
    return _opened(bind, entry) if personal else sh.withhold(entry.kind, _opened(bind, entry))


def _opened(bind: Session | Connection, entry: LedgerRow) -> dict[str, Any]:
    payload = entry.payload()
    pseudonym = payload.get(sh.PERSON)
    if sh.SEALED not in payload or not isinstance(pseudonym, str):
        return dict(payload)
    k = PersonKeyRow
    row = _conn(bind).execute(select(k.wrapped_key, k.master_key_id).where(k.pseudonym == pseudonym)).first()
    if row is None:
        return sh.reveal(payload, None)
    master = master_key()
    return sh.reveal(payload, _unwrap(master, master.cipher, bytes(row[0]), str(row[1]), pseudonym))


def entries_about(session: Session, ref: str) -> list[tuple[LedgerRow, dict[str, Any]]]:
    """The entries with ``ref`` and their payloads as readers see them (`reveal`); a person's
    plain ref ``subject:ID`` also finds the person's pseudonymous v3 entries."""
    legacy = sh.legacy_ref("")
    refs = ref_of(session, ref.removeprefix(legacy)) if ref.startswith(legacy) else [ref]
    return [(row, reveal(session, row)) for row in ledger.entries_for(session, *refs)]


@dataclass(frozen=True)
class Rotation:
    persons: int
    old_key_id: str
    new_key_id: str


def rotate(session: Session, new: MasterKey) -> Rotation:
    """Rewrap every person's data key under ``new`` in the caller's transaction (all or none)."""
    old = master_key()
    old_cipher, new_cipher = old.cipher, new.cipher
    k = PersonKeyRow
    rows = session.execute(select(k.subject_id, k.pseudonym, k.wrapped_key, k.master_key_id)).all()
    changes = [
        {"sid": sid, "wrapped": sh.wrap(new_cipher, _unwrap(old, old_cipher, bytes(w), key_id, p), p)}
        for sid, p, w, key_id in rows
    ]
    table: Table = PersonKeyRow.__table__  # type: ignore[assignment]
    stmt = (
        update(table)
        .where(table.c.subject_id == bindparam("sid"))
        .values(wrapped_key=bindparam("wrapped"), master_key_id=new.key_id)
    )
    conn = session.connection()
    for i in range(0, len(changes), _CHUNK):
        conn.execute(stmt, changes[i : i + _CHUNK])
    return Rotation(len(changes), old.key_id, new.key_id)
