"""API outputs derive from the services' values instead of copying them field by field (issue 12
item 1): a converter names only what it computes, and `Out.build` reads the rest by name."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

import hogo.api
from hogo.api.schemas.incidents import BoardRowOut, StepOut
from hogo.services.incident_views import BoardRow, StepView

API = Path(hogo.api.__file__).parent
#: A call passing this many `name=x.name` arguments is a hand copy.
_COPIES = 3


def _copies(call: ast.Call) -> int:
    return sum(
        1
        for k in call.keywords
        if isinstance(k.value, ast.Attribute)
        and k.arg == k.value.attr
        and isinstance(k.value.value, ast.Name)
    )


def test_no_output_copies_its_source_field_by_field() -> None:
    found = []
    for path in sorted(API.glob("schemas*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and _copies(node) >= _COPIES:
                found.append(f"{path.relative_to(API)}:{node.lineno}")
    assert found == [], "derive the output (Out.build, or inherit the view) instead of copying"


def test_build_reads_fields_by_name_and_takes_what_is_computed() -> None:
    row = BoardRow(
        id="INC-2026-0001", type="ransomware", type_ja="ランサムウェア感染", type_en="ransomware",
        step=StepView(number=2, ja="初動対応", en="initial response"), status="open", reportable=True,
        triggers=(3,), overdue_tasks=("t1",), preliminary=date(2026, 4, 4), preliminary_state=None,
        preliminary_days_left=3, final=date(2026, 6, 1), final_state=None, final_days_left=60,
    )  # fmt: skip
    out = BoardRowOut.build(row)
    assert out.model_dump() == row.model_dump()
    assert isinstance(out.step, StepOut)
    assert BoardRowOut.build(row, reportable=False).reportable is False
