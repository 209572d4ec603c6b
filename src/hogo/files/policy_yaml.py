"""Reading the policy file. Errors name the key (e.g. `purposes.1.kind`), never stop halfway."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from hogo.domain.policy import Policy
from hogo.files.text import read_utf8
from hogo.files.yaml_document import invalid, parse_mapping


def parse_policy(text: str, source: str = "policy") -> Policy:
    data = parse_mapping(text, source, "ポリシーはキーと値の対応で書いてください。")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc, source, "ポリシーに誤りがあります", text=text) from None


def load_policy(path: Path) -> Policy:
    text = read_utf8(path)
    return parse_policy(text, str(path))
