"""People's YAML is read strictly (issue 10 finding 4 and the YAML rows of finding 18).

Each refusal is an InputError naming the line, never a traceback and never a silent last-wins.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from hogo.errors import InputError
from hogo.files.inventory_io import parse_inventory_yaml
from hogo.files.policy_yaml import parse_policy
from hogo.files.readiness_inventory import read_yaml
from hogo.files.yaml_document import MAX_DEPTH, load_user_yaml
from hogo.release.spec import load_spec

REFUSED = {
    "anchor and alias": ("a: &x [1, 2]\nb: *x\n", 1, "anchors"),
    "alias only in a list": ("a: &x 1\nb: [2, 3]\nc:\n  - *x\n", 1, "anchors"),
    "merge key": ("base: &b {k: 1}\nother:\n  <<: *b\n", 1, "anchors"),
    "duplicate key": ("a: 1\nb: 2\na: 3\n", 3, "same key"),
    "duplicate nested key": ("a:\n  x: 1\n  x: 2\n", 3, "same key"),
    "NUL raw": ("a: 1\nb: x\x00y\n", 2, "NUL"),
    "NUL escaped": ('a: 1\nb: "x\\0y"\n', 2, "control characters"),
    "unit separator escaped": ('a: "\\x1f"\n', 1, "control characters"),
    "deep flow nesting": ("a: " + "[" * 5000 + "]" * 5000 + "\n", 1, "nested too deeply"),
    "deep block nesting": ("".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5)), MAX_DEPTH, "nested"),
    "unquoted 2023-02-29": ("a: 1\nat: 2023-02-29\n", 2, "does not exist"),
    "unquoted 2023-13-01": ("at: 2023-13-01\n", 1, "does not exist"),
    "unquoted time 25:00": ("at: 2023-01-01T25:00:00\n", 1, "does not exist"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_with_the_line(case: str) -> None:
    text, line, what = REFUSED[case]
    with pytest.raises(InputError) as info:
        load_user_yaml(text, "f.yaml")
    assert what in info.value.en
    assert f"line {line}" in info.value.en if line != MAX_DEPTH else "line" in info.value.en
    assert "x\x00y" not in str(info.value)


def test_accepted_documents_still_read() -> None:
    data = load_user_yaml('a: 2024-02-29\nb: [1, {c: "d: e"}]\nnote: "tab\\there"\n', "f.yaml")
    assert data == {
        "a": __import__("datetime").date(2024, 2, 29),
        "b": [1, {"c": "d: e"}],
        "note": "tab\there",
    }


def test_an_alias_bomb_is_refused_before_it_expands() -> None:
    """1M aliases of one dataset (3 MB) took 16 s and ~750 MB; now the first alias stops it."""
    text = "base: &d {id: x, name: y}\ndatasets:\n" + "  - *d\n" * 200_000
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="anchors"):
            parse_inventory_yaml(text, "inventory.yaml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * len(text)  # the document is never expanded


POLICY_HEAD = "terms_version: v1\n"


@pytest.mark.parametrize(
    "reader",
    [
        lambda t: parse_policy(t, "policy.yaml"),
        lambda t: parse_inventory_yaml(t, "inventory.yaml"),
        lambda t: read_yaml(t.encode()),
    ],
    ids=["policy", "inventory", "readiness"],
)
@pytest.mark.parametrize(
    "case", ["anchor and alias", "duplicate key", "NUL raw", "deep flow nesting", "unquoted 2023-02-29"]
)
def test_every_reader_of_peoples_yaml_uses_the_strict_loader(reader, case: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError) as info:
        reader(REFUSED[case][0])
    assert REFUSED[case][2] in info.value.en


@pytest.mark.parametrize(
    "case", ["deep flow nesting", "unquoted 2023-02-29", "duplicate key", "anchor and alias"]
)
def test_release_spec(case: str, tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(REFUSED[case][0], encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_spec(spec)
    assert REFUSED[case][2] in info.value.en


@pytest.mark.parametrize(
    ("reader", "text", "line", "field"),
    [
        (parse_inventory_yaml, "datasets:\n  - {id: a1, name: A}\n  - {id: a2, name: B, encryption: x}\n", 3,
         "datasets.1.encryption"),
        (parse_inventory_yaml, "datasets:\n  - id: a1\n    name: A\n  - id: a2\n    name: B\n    count: -1\n", 6,
         "datasets.1.count"),
    ],
)  # fmt: skip
def test_model_errors_name_the_line_in_the_file(reader, text: str, line: int, field: str) -> None:  # type: ignore[no-untyped-def]
    """Was the item's index as a "row" (item 2 reported as row 2 while it is on line 3)."""
    with pytest.raises(InputError) as info:
        reader(text)
    assert (info.value.row, info.value.field) == (line, field)


def test_policy_errors_name_the_line() -> None:
    text = (
        "organization: {name: a, address: b, representative: c}\npurposes:\n  - id: p\n    kind: nonsense\n"
    )
    with pytest.raises(InputError) as info:
        parse_policy(text, "policy.yaml")
    assert info.value.row is not None and info.value.row >= 3 and "purposes" in info.value.en


def test_readiness_yaml_errors_name_the_items_line() -> None:
    text = "assets:\n  - id: a\n    kind: pc\n  - id: b\n    kind: pc\n    mfa: perhaps\n"
    with pytest.raises(InputError) as info:
        read_yaml(text.encode())
    assert info.value.row == 4  # the second item starts on line 4 (was reported as row 2)
