"""Reading the policy file. Errors name the key (e.g. `purposes.1.kind`), never stop halfway."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from hogo.domain.policy import Policy
from hogo.errors import InputError
from hogo.files.yaml_document import invalid, parse_mapping


def parse_policy(text: str, source: str = "policy") -> Policy:
    data = parse_mapping(text, source, "ポリシーはキーと値の対応で書いてください。")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, source, "ポリシーに誤りがあります", text=text) from None


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"ファイルがありません: {path}", f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: UTF-8で保存してください。", f"{path}: save the file as UTF-8.") from None
    return parse_policy(text, str(path))
