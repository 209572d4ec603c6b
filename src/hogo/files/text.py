"""Reading a small text file a person wrote (a policy, playbooks, a list of ids).

Editors on Windows save UTF-8 with a BOM, so the BOM is dropped; a missing file or another
encoding is a user's error naming the file, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from hogo.errors import InputError


def read_utf8(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"ファイルがありません: {path}", f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: UTF-8で保存してください。", f"{path}: save the file as UTF-8.") from None
