"""Reading and writing action-flow playbooks as YAML; the defaults ship as package data.

Reading accepts the editable form (`common` tasks plus per-type `types`); writing always emits
the expanded form (every type with its full task list), so an exported file shows exactly what
an incident of each type will get and can be edited and applied back as is.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from hogo.domain.incidents.playbooks import PlaybookDocument, PlaybookSet
from hogo.files.text import read_utf8
from hogo.files.yaml_document import invalid, parse_mapping


def parse_playbooks(text: str, source: str = "playbooks") -> PlaybookSet:
    data = parse_mapping(text, source, "対応手順はキーと値の対応で書いてください。")
    try:
        return PlaybookDocument.model_validate(data).expand()
    except ValidationError as exc:
        raise invalid(exc, source, text=text) from None


def load_playbooks(path: Path) -> PlaybookSet:
    text = read_utf8(path)
    return parse_playbooks(text, str(path))


def default_playbooks() -> PlaybookSet:
    text = (resources.files("hogo.domain.incidents") / "playbooks" / "default.yaml").read_text("utf-8")
    return parse_playbooks(text, "default.yaml")


def dump_playbooks(playbooks: PlaybookSet) -> str:
    document = PlaybookDocument.of(playbooks).model_dump(mode="json", exclude_defaults=True)
    header = (
        "# hogo 対応手順(6ステップ)/ incident action-flow playbooks\n"
        "# due: <n>h / <n>d(認知からの時間)又は preliminary / final(個人情報保護委員会への報告期限)\n"
        "# applies: always / reportable(報告対象のとき)/ client(委託先として委託元に通知するとき)\n"
    )
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=1000)
