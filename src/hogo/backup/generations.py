"""Generations on disk: create, list, verify, restore, prune.

Layout: `<folder>/<generation>/manifest.json` and one snapshot file (`database.sqlite3` or
`database.pgdump`, with `.enc` when encrypted). A generation is built in a hidden 0700 folder
`.<generation>.<pid>.partial`; when complete its ledger entry is written, its files are made
read-only (0444, the folder 0555) and only then is it renamed into place. So a generation in
place always has its ledger entry and is never writable, whenever hogo is killed; a partial
folder of a dead process (a full copy of the personal data) is removed by the next `create` or
`prune`. Copy the folder to off-site or immutable storage for the "1 off-site, 1 offline" of
3-2-1-1-0.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy.engine import URL

import hogo
from hogo.backup import crypto
from hogo.backup import snapshot as snap
from hogo.backup.manifest import (
    MANIFEST,
    Encryption,
    FileEntry,
    LedgerState,
    Manifest,
    generation_id,
    parse_generation_id,
    read_manifest,
    write_manifest,
)
from hogo.backup.processes import pid_alive, private_temporary_folder, remove_tree
from hogo.backup.retention import RetentionPolicy, select_kept
from hogo.domain.ledger import EntryKind, Verification
from hogo.errors import HogoError, NotFound
from hogo.files.digest import sha256_file
from hogo.services import ledger, ledger_tree
from hogo.store.database import make_db, write_scope

Step = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def _ledger_event(url: str, ref: str, payload: dict[str, object]) -> None:
    """Note the backup event in the live ledger (its own small transaction)."""
    db = make_db(url)
    try:
        with write_scope(db) as session:
            ledger.append(session, EntryKind.backup, ref, payload)
    finally:
        db.dispose()


def _freeze(path: Path) -> None:
    for child in path.iterdir():
        child.chmod(0o444)
    path.chmod(0o555)


PARTIAL_SUFFIX = ".partial"


def _partial_owner(path: Path) -> int | None:
    """`.GEN.PID.partial` → PID; None for the older `.GEN.partial` (owner unknown, so stale)."""
    middle = path.name.removesuffix(PARTIAL_SUFFIX).rsplit(".", 1)
    return int(middle[1]) if len(middle) == 2 and middle[1].isdigit() else None


def _is_generation(path: Path) -> bool:
    return parse_generation_id(path.name) is not None and path.is_dir() and not path.is_symlink()


def clean_leftovers(folder: Path) -> list[str]:
    """Remove partial generations of dead processes and re-freeze any writable generation."""
    removed: list[str] = []
    if not folder.is_dir():
        return removed
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") and path.name.endswith(PARTIAL_SUFFIX) and path.is_dir():
            owner = _partial_owner(path)
            if owner is None or (owner != os.getpid() and not pid_alive(owner)):
                remove_tree(path)
                removed.append(path.name)
        elif _is_generation(path) and any(p.stat().st_mode & 0o222 for p in [path, *path.iterdir()]):
            _freeze(path)
    return removed


def _issue_tree_head(url: str, signing_key: Ed25519PrivateKey) -> None:
    """Sign a head for the ledger as it is, so the generation carries one that covers it."""
    db = make_db(url)
    try:
        ledger_tree.issue_head(db, signing_key)
    finally:
        db.dispose()


def create(
    url: str,
    folder: Path,
    key: bytes | None = None,
    step: Step = _quiet,
    signing_key: Ed25519PrivateKey | None = None,
) -> Manifest:
    """A new generation; with `signing_key` a tree head is signed first and recorded with it."""
    db = snap.database(url)
    if signing_key is not None:
        step("ツリーヘッドに署名中 / signing a tree head")
        _issue_tree_head(url, signing_key)
    folder.mkdir(parents=True, exist_ok=True)
    clean_leftovers(folder)
    now = datetime.now(UTC)
    gen = generation_id(now)
    work = folder / f".{gen}.{os.getpid()}{PARTIAL_SUFFIX}"
    work.mkdir(mode=0o700)
    work.chmod(0o700)  # whatever the umask
    try:
        plain = work / ("database.sqlite3" if db.dialect == "sqlite" else "database.pgdump")
        step("スナップショットを取得中 / taking a consistent snapshot")
        state = (
            snap.snapshot_sqlite(db, plain) if db.dialect == "sqlite" else snap.snapshot_postgres(db, plain)
        )
        plain_sha = sha256_file(plain)
        stored = plain
        encryption = None
        if key is not None:
            step("暗号化中 / encrypting")
            stored = plain.with_name(plain.name + ".enc")
            crypto.encrypt_file(key, plain, stored)
            plain.unlink()
            encryption = Encryption(scheme=crypto.SCHEME, key_id=crypto.key_id(key))
        step("マニフェストを作成中 / writing the manifest")
        entry = FileEntry(
            name=stored.name, size=stored.stat().st_size, sha256=sha256_file(stored), plain_sha256=plain_sha
        )
        manifest = Manifest(
            generation=gen,
            created_at=now,
            hogo_version=hogo.__version__,
            dialect=db.dialect,
            snapshot=entry,
            ledger=state,
            encryption=encryption,
        )
        if key is not None:
            manifest = manifest.signed(key)
        write_manifest(work, manifest)
        step("台帳に記録中 / recording in the ledger")
        event = {"action": "created", "snapshot_sha256": entry.sha256, "ledger_entries": state.entries,
                 "ledger_head": state.head}  # fmt: skip
        _ledger_event(url, f"backup:{gen}", event)  # before the rename: no generation without it
        _freeze(work)
        _move_into_place(work, folder / gen)
    except BaseException:
        if work.exists():
            remove_tree(work)
        raise
    return manifest


def _move_into_place(work: Path, target: Path) -> None:
    """Rename the frozen folder; where renaming a folder needs it writable, only for the rename."""
    try:
        os.replace(work, target)
    except PermissionError:
        work.chmod(0o700)
        os.replace(work, target)
        target.chmod(0o555)


@dataclass(frozen=True, slots=True)
class Generation:
    id: str
    path: Path
    created_at: datetime
    manifest: Manifest | None  # None: damaged or missing manifest


def list_generations(folder: Path) -> list[Generation]:
    """Complete generations, oldest first (partial ones from an interrupted run are ignored)."""
    if not folder.exists():
        return []
    result = []
    for path in sorted(folder.iterdir()):
        created = parse_generation_id(path.name)
        if not path.is_dir() or created is None:
            continue
        try:
            manifest: Manifest | None = read_manifest(path)
        except HogoError:
            manifest = None
        result.append(Generation(path.name, path, created, manifest))
    return result


def find(folder: Path, gen: str | None) -> Generation:
    """A generation by id, or the newest when `gen` is None or 'latest'."""
    generations = list_generations(folder)
    if gen in (None, "latest"):
        if not generations:
            raise NotFound("バックアップの世代がありません", "no backup generations")
        return generations[-1]
    found = next((g for g in generations if g.id == gen), None)
    if found is None:
        raise NotFound("その世代はありません", "no such generation")
    return found


@dataclass
class Report:
    generation: str
    deep: bool
    problems: list[tuple[str, str]] = field(default_factory=list)  # (ja, en)
    ledger: LedgerState | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, ja: str, en: str) -> None:
        self.problems.append((ja, en))


def _check_files(g: Generation, manifest: Manifest, key: bytes | None, report: Report) -> None:
    stored = g.path / manifest.snapshot.name
    for p in (g.path / MANIFEST, stored):
        if p.exists() and p.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
            report.add(
                f"{p.name} が書き込み可能です(読み取り専用であるべき)",
                f"{p.name} is writable (should be read-only)",
            )
    if manifest.encryption is not None:
        if key is None:
            report.add("暗号化された世代です: 鍵を指定してください", "encrypted generation: give the key")
        elif manifest.encryption.key_id != crypto.key_id(key):
            report.add("鍵がこの世代のものではありません", "the key is not this generation's key")
        elif not manifest.mac_ok(key):
            report.add("マニフェストが改ざんされています(MAC 不一致)", "manifest altered (MAC mismatch)")
    if not stored.exists():
        report.add("スナップショットのファイルがありません", "snapshot file missing")
    elif stored.stat().st_size != manifest.snapshot.size or sha256_file(stored) != manifest.snapshot.sha256:
        report.add(
            "スナップショットのハッシュが一致しません(破損または改ざん)",
            "snapshot hash mismatch (damaged or altered)",
        )


@contextmanager
def _plain_snapshot(g: Generation, manifest: Manifest, key: bytes | None) -> Iterator[Path]:
    """The snapshot decrypted into a private temporary folder, its plaintext hash checked."""
    with private_temporary_folder() as tmp:
        stored = g.path / manifest.snapshot.name
        plain = Path(tmp) / manifest.snapshot.name.removesuffix(".enc")
        if manifest.encryption is not None:
            if key is None:
                raise HogoError(
                    "暗号化された世代です: 鍵を指定してください", "encrypted generation: give the key"
                )
            crypto.decrypt_file(key, stored, plain)
        else:
            shutil.copyfile(stored, plain)
        if sha256_file(plain) != manifest.snapshot.plain_sha256:
            raise HogoError("復号後のハッシュが一致しません", "hash after decryption does not match")
        yield plain


def _matches(state: Verification, manifest: Manifest) -> tuple[str, str] | None:
    if not state.ok and state.first_bad_seq is None:
        return ("署名付きツリーヘッドが復元した台帳と一致しません", f"restored ledger: {state.problem}")
    if not state.ok:
        return (
            f"復元した台帳の検証に失敗(seq {state.first_bad_seq})",
            f"restored ledger broken at seq {state.first_bad_seq}",
        )
    if state.entries != manifest.ledger.entries or state.head != manifest.ledger.head:
        return ("復元した台帳がマニフェストと一致しません", "restored ledger differs from the manifest")
    return None


def _trial_restore(plain: Path, manifest: Manifest, url: str | None) -> Verification:
    """Load the snapshot somewhere harmless and run ledger verify on it."""
    if manifest.dialect == "sqlite":
        return snap.verify_copy(URL.create("sqlite", database=str(plain)), manifest.ledger.tree_head)
    if url is None:
        raise HogoError(
            "PostgreSQL の世代の検証には接続先が必要です", "verifying a PostgreSQL generation needs a server"
        )
    with snap.scratch_database(snap.database(url)) as scratch:
        snap.load_postgres(plain, scratch, clean=False)
        return snap.verify_copy(scratch, manifest.ledger.tree_head)


def verify(folder: Path, gen: str | None, key: bytes | None = None, *, deep: bool = False,
           url: str | None = None, step: Step = _quiet) -> Report:  # fmt: skip
    g = find(folder, gen)
    report = Report(g.id, deep)
    if g.manifest is None:
        report.add("マニフェストがないか破損しています", "manifest missing or damaged")
        return report
    step(f"{g.id}: ハッシュを確認中 / checking hashes")
    _check_files(g, g.manifest, key, report)
    if deep and report.ok:
        step(f"{g.id}: 試験復元と台帳の検証中 / trial restore and ledger verify")
        try:
            with _plain_snapshot(g, g.manifest, key) as plain:
                state = _trial_restore(plain, g.manifest, url)
        except HogoError as exc:
            report.add(exc.ja, exc.en)
            return report
        problem = _matches(state, g.manifest)
        if problem:
            report.add(*problem)
        else:
            report.ledger = LedgerState(
                entries=state.entries, head=state.head, tree_head=g.manifest.ledger.tree_head
            )
    return report


@dataclass(frozen=True, slots=True)
class Restored:
    generation: str
    ledger: LedgerState
    set_aside: Path | None


def restore(
    folder: Path, gen: str | None, url: str, key: bytes | None = None, step: Step = _quiet
) -> Restored:
    """Verify, trial-restore, restore into `url`, then verify the ledger there; refuse on any doubt."""
    report = verify(folder, gen, key, step=step)
    if not report.ok:
        ja, en = report.problems[0]
        raise HogoError(f"この世代は復元できません: {ja}", f"cannot restore this generation: {en}")
    g = find(folder, report.generation)
    assert g.manifest is not None
    manifest = g.manifest
    db = snap.database(url)
    if db.dialect != manifest.dialect:
        raise HogoError(
            "世代とデータベースの種類が違います", "generation and database are of different kinds"
        )
    aside = None
    with _plain_snapshot(g, manifest, key) as plain:
        step("試験復元で台帳を検証中 / verifying the ledger on a trial copy")
        problem = _matches(_trial_restore(plain, manifest, url), manifest)
        if problem:
            raise HogoError(*problem)
        step("復元中 / restoring")
        if db.dialect == "sqlite":
            aside = snap.set_aside(db.sqlite_path)
            snap.restore_sqlite(plain, db)
        else:
            snap.load_postgres(plain, db.url, clean=True)
    step("復元先の台帳を検証中 / verifying the restored ledger")
    problem = _matches(snap.verify_copy(db.url, manifest.ledger.tree_head), manifest)
    if problem:
        raise HogoError(*problem)
    event = {
        "action": "restored",
        "ledger_entries": manifest.ledger.entries,
        "ledger_head": manifest.ledger.head,
    }
    _ledger_event(url, f"backup:{g.id}", event)
    return Restored(g.id, manifest.ledger, aside)


def prune(folder: Path, policy: RetentionPolicy, *, dry_run: bool = False) -> list[str]:
    """Remove generations the policy does not keep; returns their ids. The newest always stays."""
    if not dry_run:
        clean_leftovers(folder)
    generations = list_generations(folder)
    kept = select_kept((g.created_at for g in generations), policy)
    removed = [g for g in generations if g.created_at not in kept]
    if not dry_run:
        for g in removed:
            remove_tree(g.path)
    return [g.id for g in removed]
