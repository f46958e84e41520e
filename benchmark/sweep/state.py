"""The state of each cell of a sweep, read from its results folder (``irbench sweep --status``; the plan).

==============  ===========================================================================================
``done``        a record made with the planned configuration
``running``     a job holds the cell (its lock), or a Slurm job that has it is running (a record outranks a
                marker that neither backs)
``queued``      submitted, or waiting in a job for an earlier seed
``failed``      a failure record of the planned configuration
``interrupted`` a job ended without a record (killed, node lost): the next sweep resumes it from its last
                completed epoch when its training left a checkpoint
``conflict``    a record made with other settings, or one that cannot be read
``missing``     none of the above
==============  ===========================================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
import shutil
from pathlib import Path

from irbench.errors import IrbenchError
from irbench.run.configuration import existing_record
from irbench.store.records import RunRecord, read_record
from irbench.sweep import claims
from irbench.sweep.cells import Cell
from irbench.sweep.failures import FailureRecord, failure_path, read_failure
from irbench.sweep.identity import PlannedConfig


class State(str, Enum):
    """A cell's state (see the module's table)."""

    DONE = "done"
    RUNNING = "running"
    QUEUED = "queued"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    CONFLICT = "conflict"
    MISSING = "missing"


@dataclass
class CellState:
    """One cell's state, a one-line ``detail`` (main score, error, job, differences), and what was read."""

    cell: Cell
    state: State
    detail: str = ""
    record: RunRecord | None = None
    failure: FailureRecord | None = None


def cell_states(cells: list[Cell], results_dir: Path, planned: dict[tuple, PlannedConfig],
                check_slurm: bool = True, notes: list[str] | None = None) -> list[CellState]:
    """The state of every cell, in order; ``check_slurm`` asks Slurm (``squeue``, then ``sacct``, once each)
    about the Slurm jobs that markers name, when Slurm's commands are on ``PATH``; what Slurm could not tell
    is appended to ``notes``."""
    from irbench.sweep.scheduler import job_states

    slurm = {}
    if check_slurm:
        markers = [claims.read_marker(results_dir, cell) for cell in cells]
        ids = {m.job_id for m in markers if m and m.executor == "slurm" and m.job_id}
        if ids and (shutil.which("squeue") or shutil.which("sacct")):
            slurm, said = job_states(ids)
            if notes is not None:
                notes.extend(said)
    return [cell_state(cell, results_dir, planned[cell.key], slurm) for cell in cells]


def cell_state(cell: Cell, results_dir: Path, planned: PlannedConfig,
               slurm_states: dict | None = None) -> CellState:
    """The state of one cell (see :func:`cell_states`)."""
    now = claims.activity(results_dir, cell, slurm_states)
    path = existing_record(results_dir, cell.task, cell.baseline, planned.configuration, cell.seed) \
        or cell.record(results_dir)
    if now is not None and now.state in ("queued", "running") and (now.confirmed or not path.exists()):
        return CellState(cell, State(now.state), now.detail)
    if path.exists():  # a record outranks a marker that no lock or Slurm backs (a dead job's, a reused pid)
        return _recorded(cell, path, planned)
    failure, note = _failure(results_dir, cell, planned)
    if failure is not None:
        attempts = f" (attempt {failure.attempts})" if failure.attempts > 1 else ""
        log = f"; log {failure.log}" if failure.log else ""
        return CellState(cell, State.FAILED, f"{failure.error}: {_first_line(failure.message)}{attempts}{log}",
                         failure=failure)
    checkpoints = sorted(path.parent.glob(f".seed-{cell.seed}.work-*/latest.ckpt"))
    if checkpoints:
        return CellState(cell, State.INTERRUPTED, f"resumes from {checkpoints[-1].parent.name}{note}")
    if now is not None:  # a stale marker, and no checkpoint yet
        return CellState(cell, State.INTERRUPTED, f"{now.detail}; starts afresh{note}")
    return CellState(cell, State.MISSING, note.lstrip("; "))


def _recorded(cell: Cell, path: Path, planned: PlannedConfig) -> CellState:
    try:
        record = read_record(path)
    except IrbenchError as error:
        return CellState(cell, State.CONFLICT, f"unreadable record: {_first_line(str(error))}")
    differences = planned.differences(record)
    if differences:
        more = f" (+{len(differences) - 3} more)" if len(differences) > 3 else ""
        return CellState(cell, State.CONFLICT, f"record made with other settings: {'; '.join(differences[:3])}{more}",
                         record=record)
    score = record.metrics.get(record.main_score)
    shown = f"{record.main_score} = {score:.4f}" if isinstance(score, float) else record.main_score
    return CellState(cell, State.DONE, shown, record=record)


def _failure(results_dir: Path, cell: Cell, planned: PlannedConfig) -> tuple[FailureRecord | None, str]:
    """The failure record if it was made with the planned configuration, else ``None`` and a note."""
    try:
        failure = read_failure(failure_path(results_dir, cell))
    except IrbenchError as error:
        return None, f"; ignored an unreadable failure record ({_first_line(str(error))})"
    if failure is None:
        return None, ""
    if failure.configuration != planned.digest():
        return None, f"; failed before with other settings ({failure.error})"
    return failure, ""


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= 200 else line[:197] + "..."
