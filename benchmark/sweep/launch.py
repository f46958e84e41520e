"""A sweep from settings to outcomes: validate, plan, hand the jobs to the executor, and account for every
cell.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from irbench.sweep.executors import ExecutorSettings, SweepExecutor, get_executor
from irbench.sweep.job import CellOutcome
from irbench.sweep.progress import plural
from irbench.sweep.plan import Action, Plan, job_specs, make_plan
from irbench.sweep.progress import ProgressView
from irbench.sweep.spec import GridValues, SweepSpec, build_spec, check_writable
from irbench.sweep.state import CellState, cell_states


@dataclass
class SweepResult:
    """The plan and the outcome of every cell this sweep ran; ``submitted`` when the jobs were only
    submitted (``--no-wait``)."""

    plan: Plan
    outcomes: list[CellOutcome] = field(default_factory=list)
    submitted: bool = False

    def succeeded(self) -> bool:
        """Whether every cell of the grid now has its record (skipped as done, or run to the end); with
        ``--no-wait``, whether nothing is known to have failed."""
        ended = {outcome.cell: outcome.status for outcome in self.outcomes}
        for plan in self.plan.cells:
            if plan.action is Action.SKIP:
                continue
            if self.submitted and plan.action.runs:
                continue
            if ended.get(plan.state.cell) not in ("done", "kept"):
                return False
        return True

    def failed(self) -> list[CellOutcome]:
        """The outcomes of the cells that failed in this sweep."""
        return [outcome for outcome in self.outcomes if outcome.status == "failed"]


class Sweep:
    """A validated sweep: its grid (:class:`SweepSpec`), executor and planned configurations.

    Building one checks every setting and name (see :func:`irbench.sweep.spec.build_spec`) and the
    executor's own settings; nothing is run or written."""

    def __init__(self, spec: SweepSpec, settings: ExecutorSettings):
        self.spec = spec
        self.settings = settings
        self.executor: SweepExecutor = get_executor(settings, spec.results_dir, spec.device)
        self.planned = spec.planned()

    @classmethod
    def from_values(cls, values: GridValues, cwd: Path | None = None) -> Sweep:
        """A sweep from command-line and grid-file values (``values.executor`` holds the
        :class:`ExecutorSettings` fields by name)."""
        spec = build_spec(values, cwd)
        settings = ExecutorSettings(**{**values.executor, "slurm": dict(values.slurm)})
        return cls(spec, settings)

    def states(self) -> list[CellState]:
        """Every cell's state, read from the results folder; what Slurm could not tell goes to ``notes``."""
        self.notes: list[str] = []
        return cell_states(self.spec.cells(self.planned), self.spec.results_dir, self.planned, notes=self.notes)

    def plan(self, overwrite: bool = False, retry_failed: bool = False) -> Plan:
        """What this sweep would do with every cell."""
        return make_plan(self.states(), overwrite, retry_failed)

    def run(self, plan: Plan, show: Callable[[str], None]) -> SweepResult:
        """Run the plan's cells with the executor, printing progress with ``show``; returns every cell's
        outcome. With nothing to run, returns at once (a finished Slurm sweep needs no ``sbatch``).

        Raises ``ConfigError`` when the results folder cannot be written or the executor cannot run here (no
        ``sbatch``, a request over the partition's limits, no GPU for ``--device cuda``), before any job
        starts."""
        group = self.executor.groups_seeds or self.settings.group_seeds
        jobs = [replace(job, command=list(sys.argv))
                for job in job_specs(plan, self.spec, self.planned, self.executor.name, group)]
        if not jobs:
            return SweepResult(plan)
        check_writable(self.spec.results_dir)
        self.executor.check()
        cells = [cell for job in jobs for cell in job.cells]
        show(f"[sweep] {plural(len(cells), 'cell')} in {plural(len(jobs), 'job')} on {self.executor.describe()}")
        progress = ProgressView(cells, min(self.executor.parallelism(), len(jobs)), show)
        self.executor.run(jobs, progress)
        submitted = not self.settings.wait and len(progress.outcomes) < len(cells)  # submitted, not collected
        return SweepResult(plan, list(progress.outcomes.values()), submitted=submitted)
