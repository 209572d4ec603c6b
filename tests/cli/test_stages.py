"""`hogo release run` shows each stage as it ends, with its rows and rows per second (issue 13
scope 5); `--json` shows nothing but the JSON."""

from __future__ import annotations

import pytest
from rich.console import Console

from hogo.cli import output


def test_each_stage_ends_with_a_line_of_its_time_rows_and_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Console(record=True, width=200, force_terminal=False)
    monkeypatch.setattr(output, "console", screen)
    with output.steps() as say:
        say("正規化・トークン化中 / normalising and tokenising")
        say("正規化・トークン化中 / normalising and tokenising", rows=500_000)
        say("正規化・トークン化中 / normalising and tokenising", rows=1_000_000)
        say("同意・法的根拠を判定中 / deciding who may be included")
        say("記録中 / recording")
    lines = [line for line in screen.export_text().splitlines() if "✓" in line]
    assert len(lines) == 3
    assert "normalising and tokenising" in lines[0] and "1,000,000 行 / rows" in lines[0]
    assert "行/秒 / rows/s" in lines[0] and "秒 / s" in lines[0]
    assert "deciding who may be included" in lines[1] and "行 / rows" not in lines[1]
    assert "recording" in lines[2]  # the last stage, once the job finished


def test_a_failed_job_does_not_show_its_last_stage_as_done(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Console(record=True, width=200, force_terminal=False)
    monkeypatch.setattr(output, "console", screen)
    with pytest.raises(RuntimeError), output.steps() as say:
        say("書き出し中 / writing", rows=10)
        raise RuntimeError
    assert "✓" not in screen.export_text()


def test_quiet_shows_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    screen = Console(record=True, width=200, force_terminal=False)
    monkeypatch.setattr(output, "console", screen)
    with output.steps(quiet=True) as say:
        say("書き出し中 / writing", rows=10)
        say("記録中 / recording")
    assert screen.export_text() == ""
