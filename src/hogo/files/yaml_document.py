"""YAML documents people write (policy, playbooks, inventory): read, and explain what is wrong.

Errors name the line or the key path (e.g. `purposes.1.kind`), never a value: the values may hold
personal data.
"""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import ValidationError

from hogo.errors import InputError


def parse_mapping(
    text: str, source: str, expected_ja: str, expected_en: str = "expected a mapping."
) -> dict[str, Any]:
    """The document's top-level mapping, or an InputError naming the line that broke the YAML."""
    try:
        data: Any = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise InputError(
            f"{source}: YAMLとして読めません({line}行目付近)。",
            f"{source}: not valid YAML (near line {line}).",
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: {expected_ja}", f"{source}: {expected_en}")
    return data


def describe(exc: ValidationError, source: str, lang: str, head_ja: str = "内容に誤りがあります") -> str:
    """Key paths and what is wrong with each."""
    lines = []
    for err in exc.errors(include_url=False, include_input=False):
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "未知のキーです" if lang == "ja" else "unknown key"
        elif err["type"] == "missing":
            message = "必須のキーがありません" if lang == "ja" else "required key missing"
        lines.append(f"{key}: {message}")
    head = head_ja if lang == "ja" else "the file is invalid"
    return f"{source}: {head}: " + "; ".join(lines)


def invalid(
    exc: ValidationError, source: str, head_ja: str = "内容に誤りがあります", **where: Any
) -> InputError:
    return InputError(describe(exc, source, "ja", head_ja), describe(exc, source, "en"), **where)
