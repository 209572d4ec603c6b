"""Reading the policy file. Errors name the key (e.g. `purposes.1.kind`), never stop halfway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hogo.domain.policy import Policy
from hogo.errors import InputError


def parse_policy(text: str, source: str = "policy") -> Policy:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise InputError(
            f"{source}: YAMLとして読めません({line}行目付近)。",
            f"{source}: not valid YAML (near line {line}).",
        ) from None
    if not isinstance(data, dict):
        raise InputError(
            f"{source}: ポリシーはキーと値の対応で書いてください。", f"{source}: expected a mapping."
        )
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise InputError(_describe(exc, source, "ja"), _describe(exc, source, "en")) from None


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"ファイルがありません: {path}", f"no such file: {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: UTF-8で保存してください。", f"{path}: save the file as UTF-8.") from None
    return parse_policy(text, str(path))


def _describe(exc: ValidationError, source: str, lang: str) -> str:
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "未知のキーです" if lang == "ja" else "unknown key"
        elif err["type"] == "missing":
            message = "必須のキーがありません" if lang == "ja" else "required key missing"
        lines.append(f"{key}: {message}")
    head = "ポリシーに誤りがあります" if lang == "ja" else "the policy is invalid"
    return f"{source}: {head}: " + "; ".join(lines)
