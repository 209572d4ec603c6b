"""YAML documents people write (policy, playbooks, inventory, release and readiness files): read
strictly, and explain what is wrong.

Every YAML file a person hands to hogo goes through `load_user_yaml`. Beyond `yaml.safe_load` it
refuses what is either an attack or a mistake nobody notices:
- anchors and aliases: 1M aliases to one dataset make a 3 MB file expand to gigabytes (a "billion
  laughs"); hand-written governance files do not need them;
- duplicate keys: YAML says they are an error, PyYAML silently keeps the last one;
- NUL and other control characters (tab, newline and CR aside), also when written as escapes;
- nesting deeper than `MAX_DEPTH` (deep nesting exhausts the parser's recursion);
- unquoted dates that do not exist (`2023-02-29`), which PyYAML turns into a traceback.
Errors name the line or the key path (e.g. `purposes.1.kind`), never a value: the values may hold
personal data.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode

from hogo.errors import InputError

MAX_DEPTH = 32
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Refused(yaml.MarkedYAMLError):
    """A construct hogo does not accept in a person's YAML; `ja`/`en` say which."""

    def __init__(self, ja: str, en: str, mark: Any) -> None:
        super().__init__(problem=en, problem_mark=mark)
        self.ja = ja
        self.en = en


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader without aliases, anchors, duplicate keys, control characters or deep nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused(
                "アンカー(&)・エイリアス(*)は使えません。値をそのまま書いてください。",
                "YAML anchors (&) and aliases (*) are not allowed; write the values out.",
                event.start_mark,
            )
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(
                f"入れ子が深すぎます(上限{MAX_DEPTH}段)。",
                f"nested too deeply (at most {MAX_DEPTH} levels).",
                event.start_mark,
            )
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        assert node is not None  # an event was peeked, so a node follows
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode):
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise _Refused(
                        "同じキーが2回書かれています。",
                        "the same key appears twice in one mapping.",
                        key_node.start_mark,
                    )
                seen.add(key)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result

    def construct_scalar(self, node: ScalarNode | MappingNode) -> Any:
        value = super().construct_scalar(node)
        if isinstance(value, str) and _CONTROL.search(value):
            raise _Refused(
                "制御文字(NUL等)は使えません。",
                "control characters (such as NUL) are not allowed.",
                node.start_mark,
            )
        return value

    def construct_yaml_timestamp(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            raise _Refused(
                "存在しない日付・時刻です(例: 2023-02-29)。",
                "a date or time that does not exist (e.g. 2023-02-29).",
                node.start_mark,
            ) from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def load_user_yaml(text: str, source: str) -> Any:
    """The document's data, or an InputError naming the line and what is wrong there."""
    bad = _CONTROL.search(text)
    if bad is not None:  # the reader would stop anyway; say which line, not the character's code
        line = text.count("\n", 0, bad.start()) + 1
        raise InputError(
            f"{source}: {line}行目: 制御文字(NUL等)は使えません。",
            f"{source}: line {line}: control characters (such as NUL) are not allowed.",
        )
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except _Refused as exc:
        at = exc.problem_mark.line + 1 if exc.problem_mark is not None else "?"
        raise InputError(f"{source}: {at}行目: {exc.ja}", f"{source}: line {at}: {exc.en}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        near = mark.line + 1 if mark is not None else "?"
        raise InputError(
            f"{source}: YAMLとして読めません({near}行目付近)。",
            f"{source}: not valid YAML (near line {near}).",
        ) from None
    except yaml.YAMLError:
        raise InputError(f"{source}: YAMLとして読めません。", f"{source}: not valid YAML.") from None


def parse_mapping(
    text: str, source: str, expected_ja: str, expected_en: str = "expected a mapping."
) -> dict[str, Any]:
    """The document's top-level mapping, or an InputError naming the line that broke the YAML."""
    data: Any = load_user_yaml(text, source)
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


def line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The line (from 1) where the key path `loc` of a validation error is written, if it exists.

    Errors then point at the line a person sees in the editor, not at an item's index."""
    try:
        node: Node | None = yaml.compose(text, Loader=_StrictLoader)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, MappingNode):
            node = next(
                (v for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(part)), None
            )
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def invalid(
    exc: ValidationError,
    source: str,
    head_ja: str = "内容に誤りがあります",
    *,
    text: str | None = None,
    **where: Any,
) -> InputError:
    """The validation error as an InputError; given the document's `text`, it names the line."""
    if text is not None and "row" not in where:
        errors = exc.errors(include_url=False, include_input=False)
        where["row"] = line_of(text, tuple(errors[0]["loc"])) if errors else None
    return InputError(describe(exc, source, "ja", head_ja), describe(exc, source, "en"), **where)
