"""The plan of a sweep: what to do with each cell given its state and ``--overwrite`` / ``--retry-failed``,
and the jobs that run the cells to run.

=================  =============  ========================================================================
state              plain sweep    with a flag
=================  =============  ========================================================================
missing            run            (run)
interrupted        resume         (resume: from the last completed epoch when a checkpoint exists)
done               skip           ``--overwrite``: rerun
conflict           conflict       ``--overwrite``: rerun, replacing the record made with other settings
failed             failed before  ``--retry-failed`` or ``--overwrite``: retry
running / queued   busy           (never started twice)
=================  =============  ========================================================================

A failure record made with other settings does not count: the cell is planned as missing, with a note.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import Enum

from irbench.run.runner import RunOptions
from irbench.sweep.identity import PlannedConfig
from irbench.sweep.cells import Cell
from irbench.sweep.job import JobSpec
from irbench.sweep.spec import SweepSpec
from irbench.sweep.state import CellState, State


class Action(str, Enum):
    """What the sweep does with a cell."""

    RUN = "run"
    RESUME = "resume"
    RETRY = "retry"
    RERUN = "rerun"
    SKIP = "skip"
    FAILED = "failed before"
    CONFLICT = "conflict"
    BUSY = "busy"

    @property
    def runs(self) -> bool:
        """Whether the cell is run by this sweep."""
        return self in (Action.RUN, Action.RESUME, Action.RETRY, Action.RERUN)


@dataclass
class CellPlan:
    """A cell's state, the action taken and why (one line)."""

    state: CellState
    action: Action
    reason: str


def decide(state: CellState, overwrite: bool = False, retry_failed: bool = False) -> CellPlan:
    """The action for one cell (see the module's table)."""
    detail = f" ({state.detail})" if state.detail else ""
    match state.state:
        case State.MISSING:
            return CellPlan(state, Action.RUN, state.detail or "no record yet")
        case State.INTERRUPTED:
            return CellPlan(state, Action.RESUME, state.detail)
        case State.DONE if overwrite:
            return CellPlan(state, Action.RERUN, f"--overwrite: replaces the record{detail}")
        case State.DONE:
            return CellPlan(state, Action.SKIP, f"record exists with these settings{detail}")
        case State.CONFLICT if overwrite:
            return CellPlan(state, Action.RERUN, f"--overwrite: replaces it: {state.detail}")
        case State.CONFLICT:
            return CellPlan(state, Action.CONFLICT, f"{state.detail}; --overwrite to replace it")
        case State.FAILED if retry_failed or overwrite:
            return CellPlan(state, Action.RETRY, f"failed before: {state.detail}")
        case State.FAILED:
            return CellPlan(state, Action.FAILED, f"{state.detail}; --retry-failed to run it again")
    return CellPlan(state, Action.BUSY, f"{state.state.value}: {state.detail}")


@dataclass
class Plan:
    """Every cell's plan, in the sweep's order."""

    cells: list[CellPlan]

    def to_run(self) -> list[CellPlan]:
        """The cells this sweep runs."""
        return [plan for plan in self.cells if plan.action.runs]

    def counts(self) -> Counter:
        """Action -> number of cells."""
        return Counter(plan.action for plan in self.cells)

    def summary(self) -> str:
        """``8 cells: 3 to run, 4 to skip (done), 1 failed before (--retry-failed to rerun)``."""
        counts = self.counts()
        words = {Action.RUN: "to run", Action.RESUME: "to resume", Action.RETRY: "to retry",
                 Action.RERUN: "to rerun (--overwrite)", Action.SKIP: "done (skipped)",
                 Action.FAILED: "failed before (--retry-failed to rerun)",
                 Action.CONFLICT: "in conflict with other settings (--overwrite to replace)",
                 Action.BUSY: "running or queued elsewhere"}
        parts = [f"{counts[action]} {word}" for action, word in words.items() if counts[action]]
        return f"{_cells(len(self.cells))}: {', '.join(parts) or 'nothing'}"


def _cells(count: int) -> str:
    return f"{count} cell{'' if count == 1 else 's'}"


def make_plan(states: list[CellState], overwrite: bool = False, retry_failed: bool = False) -> Plan:
    """The plan for cells in these states."""
    return Plan([decide(state, overwrite, retry_failed) for state in states])


def job_specs(plan: Plan, spec: SweepSpec, planned: dict[tuple, PlannedConfig], executor: str,
              group_seeds: bool) -> list[JobSpec]:
    """The jobs that run the plan's cells: one per cell, or with ``group_seeds`` one per task x baseline x
    variant (its seeds in one job, sharing the data's preparation). A job overwrites records only when one of its
    cells is a rerun."""
    groups: dict[tuple, list[CellPlan]] = {}
    for cell_plan in plan.to_run():
        cell = cell_plan.state.cell
        key = cell.key if group_seeds else (*cell.key, cell.seed)
        groups.setdefault(key, []).append(cell_plan)
    jobs = []
    for members in groups.values():
        cell = members[0].state.cell
        options = cell_options(spec, cell, executor, overwrite=any(m.action is Action.RERUN for m in members))
        jobs.append(JobSpec(options, [m.state.cell.seed for m in members], executor, planned[cell.key].digest(),
                            variant=cell.variant, configuration=cell.configuration))
    return jobs


def cell_options(spec: SweepSpec, cell: Cell, executor: str, overwrite: bool = False) -> RunOptions:
    """The ``irbench run`` options of ``cell`` under the sweep's settings (its variant's overrides last;
    ``workers`` 0: the cores the job may use)."""
    return RunOptions(
        task=cell.task, baseline=cell.baseline, data_home=spec.data_homes[cell.task],
        results_dir=spec.results_dir, cache_dir=spec.cache_dir, seed=cell.seed, device=spec.device,
        max_epochs=spec.max_epochs, config=spec.overrides_for(cell.baseline, cell.variant), threads=spec.threads,
        workers=spec.workers or 0, overwrite=overwrite, skip_bad=spec.skip_bad, show_progress=False,
        frontend=spec.frontend_for(cell.baseline), executor={"name": executor},
    )

