"""How the incident pages write countdowns and the six steps, in the page's language.

The numbers come from the service (`BoardRow`); this module only turns them into words, so the
board and the incident page say "あと3日" / "2日超過" the same way the CLI board does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hogo.domain.incidents.deadlines import DeadlineState
from hogo.domain.incidents.types import Step


@dataclass(frozen=True)
class Countdown:
    due: date | None
    state: DeadlineState | None  # None: no deadline (not reportable)
    days_left: int | None
    label: str

    @property
    def css(self) -> str:
        return "cd-none" if self.state is None else f"cd-{self.state.value}"


@dataclass(frozen=True)
class StepMark:
    number: int
    title: str
    state: str  # done / current / todo


def countdown(due: date | None, state: DeadlineState | None, days_left: int | None, lang: str) -> Countdown:
    en = lang == "en"
    if state is None:
        label = "—"
    elif state is DeadlineState.done:
        label = "reported" if en else "報告済"
    elif days_left is None:
        label = state.value
    elif days_left > 0:
        label = f"{days_left} days left" if en else f"あと{days_left}日"
    elif days_left == 0:
        label = "due today" if en else "本日まで"
    else:
        label = f"{-days_left} days overdue" if en else f"{-days_left}日超過"
    return Countdown(due, state, days_left, label)


def step_marks(current: int | None, lang: str) -> tuple[StepMark, ...]:
    """The six steps; those before the current one are done (None: every step is done)."""

    def state(step: Step) -> str:
        if current is None or int(step) < current:
            return "done"
        return "current" if int(step) == current else "todo"

    return tuple(StepMark(int(s), s.text(lang), state(s)) for s in Step)
