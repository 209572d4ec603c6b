"""`hogo ledger keygen|head|prove|consistency|check-proof|verify-tree`: the verifiable log.

Heads, proofs and consistency proofs are JSON documents (docs/ledger.md). `check-proof` needs no
store: only the proof (or a consent receipt carrying one), a head and the public key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hogo.cli.context import opened, reading
from hogo.cli.output import console, print_json, user_errors
from hogo.config import load_settings
from hogo.domain import transparency
from hogo.domain.transparency import SignedTreeHead
from hogo.errors import InputError
from hogo.files.atomic import atomic_path, atomic_text
from hogo.services import ledger_tree

OutOption = typer.Option(None, "--out", help="JSON をこのファイルに書き出す(省略時は標準出力)")


def _emit(document: Any, out: Path | None) -> None:
    if out is None:
        print_json(document)
        return
    with atomic_text(out) as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    console.print(f"[green]書き出しました[/] / written: {out}")


def _read_json(path: Path, field: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise InputError("JSON ファイルを読めません", "cannot read the JSON file", field=field) from None


def _head_file(path: Path, field: str) -> SignedTreeHead:
    try:
        return SignedTreeHead.from_json(_read_json(path, field))
    except ValueError:
        raise InputError("ツリーヘッドの形式ではありません", "not a tree head", field=field) from None


def _public_keys(paths: list[Path]) -> list[Ed25519PublicKey]:
    """The keys from --public-key (any number: old and new after a rotation), else the public
    half of the configured signing key."""
    if not paths:
        return [ledger_tree.require_key(load_settings().ledger_signing_key_file).public_key()]
    keys = []
    for path in paths:
        try:
            keys.append(transparency.load_public_key(path.read_bytes()))
        except (OSError, ValueError):
            raise InputError("公開鍵を読めません(Ed25519 の PEM)", "cannot read the public key (Ed25519 PEM)",
                             field="--public-key") from None  # fmt: skip
    return keys


def _key() -> Ed25519PrivateKey:
    return ledger_tree.require_key(load_settings().ledger_signing_key_file)


def keygen_cmd(
    out: Path = typer.Argument(..., help="秘密鍵を書き出すファイル(公開鍵は同名 .pub)"),
) -> None:
    """ツリーヘッドの署名鍵(Ed25519)を作成します。公開鍵は監査人と本人に配布します。"""
    with user_errors():
        public_out = out.with_name(out.name + ".pub")
        for path in (out, public_out):
            if path.exists():
                raise InputError("既にファイルがあります(上書きしません)", "file exists (not overwritten)",
                                 field=path.name)  # fmt: skip
        pem = transparency.generate_private_key_pem()
        with atomic_path(out) as tmp:  # created 0600 by the atomic writer
            tmp.write_bytes(pem)
        public = transparency.load_private_key(pem).public_key()
        with atomic_text(public_out) as handle:
            handle.write(transparency.public_key_pem(public).decode("ascii"))
        public_out.chmod(0o644)
    console.print(
        f"[green]署名鍵を作成しました[/] / signing key written: {out} (key id {transparency.key_id(public)});"
        f" 公開鍵 / public key: {public_out}"
    )


def head_cmd(
    out: Path | None = OutOption,
    issue: bool = typer.Option(True, "--issue/--no-issue", help="台帳が伸びていれば新しいヘッドに署名する"),
) -> None:
    """最新の署名付きツリーヘッドを JSON で出力します(監査人が保管し、後で整合性を確かめる)。"""
    with user_errors():
        if issue:
            with opened() as db:
                sth: SignedTreeHead | None = ledger_tree.issue_head(db, _key())
        else:
            with reading() as session:
                sth = ledger_tree.latest_head(session)
        if sth is None:
            raise InputError("署名付きツリーヘッドがまだありません", "no signed tree head issued yet")
        _emit(sth.to_json(), out)


def prove_cmd(
    seq: int = typer.Argument(..., min=1, help="台帳の記録の seq"),
    out: Path | None = OutOption,
) -> None:
    """台帳の記録の包含証明(記録そのもの、経路、署名付きツリーヘッド)を JSON で出力します。"""
    with user_errors():
        with opened() as db:
            proof = ledger_tree.prove(db, seq, _key())
        _emit(proof, out)


def _resolve(value: str, field: str) -> SignedTreeHead:
    if value.isdigit():
        with reading() as session:
            return ledger_tree.head_of_size(session, int(value))
    return _head_file(Path(value), field)


def consistency_cmd(
    old: str = typer.Argument(..., help="古いヘッド: 大きさ(発行済み)またはヘッドの JSON ファイル"),
    new: str = typer.Argument(..., help="新しいヘッド: 大きさ(発行済み)またはヘッドの JSON ファイル"),
    out: Path | None = OutOption,
) -> None:
    """二つのツリーヘッドの整合性証明(古い台帳が新しい台帳の先頭であること)を出力します。"""
    with user_errors():
        first, second = _resolve(old, "OLD"), _resolve(new, "NEW")
        with reading() as session:
            result = ledger_tree.consistency(session, first, second)
        _emit(result.to_json(), out)


def check_proof_cmd(
    file: Path = typer.Argument(..., help="包含証明、それを含む同意の記録証、または整合性証明の JSON"),
    head: Path | None = typer.Option(None, "--head", help="保管していたツリーヘッド(省略時は証明の中のもの)"),
    public_key: list[Path] = typer.Option(
        [], "--public-key", help="署名者の公開鍵(PEM、鍵の更新後は新旧を複数回指定)"
    ),
) -> None:
    """証明を台帳なしで検証します(公開鍵とヘッドだけで足ります)。失敗すれば終了コード1。"""
    with user_errors():
        document = _read_json(file, "FILE")
        keys = _public_keys(public_key)
        if isinstance(document, dict) and document.get("format") == transparency.CONSISTENCY_FORMAT:
            check = _check_consistency(document, keys)
        elif isinstance(document, dict):
            kept = _head_file(head, "--head") if head is not None else None
            checks = [transparency.verify_receipt(document, key, kept) for key in keys]
            check = next((c for c in checks if c.ok), checks[-1])
        else:
            raise InputError("証明の形式ではありません", "not a proof", field="FILE")
    if check.ok:
        what = "" if check.seq is None else f"seq {check.seq} は"
        detail = "" if check.entry_checked or check.seq is None else "(記録の内容は証明に含まれていません)"
        size = check.tree_size
        console.print(f"[green]検証できました[/] / verified: {what}大きさ {size} の台帳に含まれます{detail}")
        return
    console.print(f"[bold red]検証できません[/] / not verified: {check.problem_ja} / {check.problem_en}")
    raise typer.Exit(1)


def _check_consistency(document: dict[str, Any], keys: list[Ed25519PublicKey]) -> transparency.Check:
    try:
        old = SignedTreeHead.from_json(document.get("old"))
        new = SignedTreeHead.from_json(document.get("new"))
        path = [bytes.fromhex(p) for p in document.get("consistency_path", [])]
    except (ValueError, TypeError):
        raise InputError("整合性証明の形式が不正です", "malformed consistency proof", field="FILE") from None
    return transparency.verify_heads_consistent(old, new, path, keys)


def verify_tree_cmd() -> None:
    """マークル木と署名付きツリーヘッドを台帳から再計算して照合します(不一致は終了コード1)。"""
    with user_errors(), reading() as session:
        check = ledger_tree.verify_tree(session)
    if check.ok:
        console.print(
            f"[green]マークル木は台帳と一致します[/] / tree matches the ledger: {check.entries:,} 件,"
            f" 節 {check.nodes:,}, ヘッド {check.heads:,}"
        )
        return
    console.print(f"[bold red]不一致[/] / mismatch: {check.problem_ja} / {check.problem_en}")
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("keygen")(keygen_cmd)
    app.command("head")(head_cmd)
    app.command("prove")(prove_cmd)
    app.command("consistency")(consistency_cmd)
    app.command("check-proof")(check_proof_cmd)
    app.command("verify-tree")(verify_tree_cmd)
