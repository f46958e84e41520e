"""Tables for the command line: a sweep's plan (``--dry-run``) and its cells' states (``--status``).

Names and messages come from files and are escaped for rich markup before they are shown.
"""

from __future__ import annotations

from collections import Counter

from irbench.sweep.plan import Action, Plan
from irbench.sweep.state import CellState, State
from rich.markup import escape
from rich.table import Table

ACTION_STYLES = {Action.RUN: "green", Action.RESUME: "green", Action.RETRY: "yellow", Action.RERUN: "yellow",
                 Action.SKIP: "dim", Action.FAILED: "red", Action.CONFLICT: "red", Action.BUSY: "cyan"}
STATE_STYLES = {State.DONE: "green", State.RUNNING: "cyan", State.QUEUED: "cyan", State.FAILED: "red",
                State.INTERRUPTED: "yellow", State.CONFLICT: "red", State.MISSING: "dim"}


def plan_table(plan: Plan, title: str, only_notable: bool = False) -> Table:
    """One row per cell: task, baseline, seed, action, reason. ``only_notable`` leaves out the cells that
    simply run or are skipped as done (for the plan printed before a sweep runs)."""
    table = Table(title=escape(title), title_justify="left")
    for column in ("task", "baseline", "seed", "action", "why"):
        table.add_column(column, justify="right" if column == "seed" else "left", overflow="fold")
    for cell_plan in plan.cells:
        if only_notable and cell_plan.action in (Action.RUN, Action.SKIP):
            continue
        cell = cell_plan.state.cell
        style = ACTION_STYLES[cell_plan.action]
        table.add_row(escape(cell.task), escape(cell.baseline), str(cell.seed),
                      f"[{style}]{escape(cell_plan.action.value)}[/]", escape(cell_plan.reason))
    return table


def status_table(states: list[CellState], title: str) -> Table:
    """One row per cell: task, baseline, seed, state, detail (score, error and log, job, differences)."""
    table = Table(title=escape(title), title_justify="left")
    for column in ("task", "baseline", "seed", "state", "detail"):
        table.add_column(column, justify="right" if column == "seed" else "left", overflow="fold")
    for state in states:
        style = STATE_STYLES[state.state]
        table.add_row(escape(state.cell.task), escape(state.cell.baseline), str(state.cell.seed),
                      f"[{style}]{state.state.value}[/]", escape(state.detail))
    return table


def status_summary(states: list[CellState]) -> str:
    """``8 cells: 5 done, 1 running, 1 failed, 1 missing`` (states in the module's order)."""
    counts = Counter(state.state for state in states)
    parts = [f"{counts[state]} {state.value}" for state in State if counts[state]]
    return f"{len(states)} cell{'' if len(states) == 1 else 's'}: {', '.join(parts)}"
