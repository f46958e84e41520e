"""Executors: where a sweep's jobs run, registered by name (``--executor``).

==========  ==================================================================================================
``inline``  this process, one job after another; one job per task x baseline, so its seeds share the loaded,
            hashed and indexed data (:func:`irbench.run.runner.run_seeds`).
``local``   this machine, through submitit's ``LocalExecutor``, at most ``--jobs`` jobs at once, each pinned to
            one GPU (``CUDA_VISIBLE_DEVICES``); one job per cell unless ``--group-seeds``.
``slurm``   a Slurm cluster, through ``submitit.AutoExecutor``: one job array, one array task per cell unless
            ``--group-seeds``; collected with ``submitit.helpers.as_completed``.
==========  ==================================================================================================

A new executor subclasses :class:`SweepExecutor` and registers in :data:`EXECUTORS`.
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from irbench.errors import ConfigError
from irbench.registry import Registry
from irbench.sweep import claims
from irbench.sweep.failures import log_tail, read_failure, write_failure
from irbench.sweep.job import CellOutcome, JobSpec
from irbench.sweep.progress import ProgressView

SUBMITIT_FOLDER = ".submitit"  # under the results folder; submitit's %j gives each job its own folder


@dataclass
class ExecutorSettings:
    """How to run a sweep's jobs.

    Attributes
    ----------
    name: a registered executor (``inline``, ``local``, ``slurm``).
    jobs: ``local``: jobs at once (default: one per visible GPU, else 1).
    group_seeds: ``local``/``slurm``: one job runs every seed of a task x baseline (the data prepared once)
        instead of one job per cell.
    time: time limit per job (``local`` default: a week; ``slurm``: see ``slurm``), minutes or
        ``[D-]HH:MM:SS``.
    max_requeues: times a job may be requeued after hitting its time limit (submitit's ``max_num_timeout``).
    slurm: Slurm settings by name (see :class:`irbench.sweep.slurm.SlurmSettings`).
    wait: wait for the jobs and collect them (``slurm`` may return right after submitting).
    show_progress: progress bars for cells run inline.
    poll_s: seconds between looks at running jobs.
    """

    name: str = "inline"
    jobs: int | None = None
    group_seeds: bool = False
    time: str | int | None = None
    max_requeues: int = 3
    slurm: dict[str, Any] = field(default_factory=dict)
    wait: bool = True
    show_progress: bool = True
    poll_s: float = 1.0


class SweepExecutor(ABC):
    """Runs a sweep's jobs and tells a :class:`ProgressView` how each cell ended.

    Subclasses set ``name`` and ``groups_seeds`` (whether a job always holds every seed of a task x
    baseline) and implement :meth:`run`; :meth:`check` refuses, before anything runs, settings or an
    environment the executor cannot work with.
    """

    name: ClassVar[str]
    groups_seeds: ClassVar[bool] = False

    def __init__(self, settings: ExecutorSettings, results_dir: Path, device: str):
        self.settings = settings
        self.results_dir = Path(results_dir)
        self.device = device
        self.folder = self.results_dir / SUBMITIT_FOLDER

    def check(self) -> None:
        """Raise ``ConfigError`` for settings this executor cannot use (nothing by default)."""

    def parallelism(self) -> int:
        """How many jobs may run at once (for the progress estimate)."""
        return 1

    def describe(self) -> str:
        """One line for the plan: the executor and its main settings."""
        return self.name

    @abstractmethod
    def run(self, jobs: list[JobSpec], progress: ProgressView) -> None:
        """Run ``jobs`` and report every cell's outcome to ``progress`` as it ends."""


_TIME = re.compile(r"(?:(?P<days>\d+)-)?(?P<a>\d+)(?::(?P<b>\d+))?(?::(?P<c>\d+))?")


def parse_minutes(value: str | int, option: str = "--time") -> int:
    """Whole minutes (rounded up) from Slurm's time formats: ``90`` (minutes), ``MM:SS``, ``HH:MM:SS``,
    ``D-HH``, ``D-HH:MM``, ``D-HH:MM:SS``, or an integer of minutes.

    Raises ``ConfigError`` naming ``option`` for anything else or a limit under one minute."""
    if isinstance(value, bool):
        raise ConfigError(f"{option} {value!r}: expected minutes or [D-]HH:MM:SS")
    if isinstance(value, int):
        minutes = value
    else:
        match = _TIME.fullmatch(str(value).strip())
        if not match:
            raise ConfigError(f"{option} {value!r}: expected minutes or [D-]HH:MM:SS (e.g. 4:00:00, 1-12:00:00)")
        days, a, b, c = (int(match.group(k)) if match.group(k) else None for k in ("days", "a", "b", "c"))
        if days is not None:  # D-HH[:MM[:SS]]
            seconds = days * 86400 + a * 3600 + (b or 0) * 60 + (c or 0)
        elif c is not None:  # HH:MM:SS
            seconds = a * 3600 + b * 60 + c
        elif b is not None:  # MM:SS
            seconds = a * 60 + b
        else:  # minutes
            seconds = a * 60
        minutes = math.ceil(seconds / 60)
    if minutes < 1:
        raise ConfigError(f"{option} {value!r}: the time limit must be at least one minute")
    return minutes


def _executors() -> Registry[type[SweepExecutor]]:
    registry: Registry[type[SweepExecutor]] = Registry("executor")
    registry.register_lazy("inline", "irbench.sweep.inline:InlineExecutor")
    registry.register_lazy("local", "irbench.sweep.local:LocalSweepExecutor")
    registry.register_lazy("slurm", "irbench.sweep.slurm:SlurmSweepExecutor")
    return registry


EXECUTORS = _executors()


def get_executor(settings: ExecutorSettings, results_dir: Path, device: str) -> SweepExecutor:
    """The executor ``settings.name`` set up for this sweep; raises ``UnknownNameError`` with suggestions."""
    return EXECUTORS.get(settings.name)(settings, results_dir, device)


def collect(job, spec: JobSpec, report: Callable[[CellOutcome], None], state=None, gave_up: bool = False) -> None:
    """Report the outcomes of a finished submitit ``job`` that ran ``spec``.

    A job that died without returning (killed, out of memory, timed out too often, a crash) still accounts
    for every cell: a cell with a record is ``done``, one that the job already failed keeps its failure
    record, and any other gets a failure record naming how the job ended, its log file, the log's last lines
    and the job's id. ``state``: the scheduler's :class:`~irbench.sweep.scheduler.JobState` of a job that
    ended without a result (then its result is not waited for); ``gave_up``: the job could never start and
    was cancelled (``state`` holds the pending reason)."""
    if state is not None and not job.paths.result_pickle.exists():
        outcomes = [_account(job, spec, cell, state=state, gave_up=gave_up) for cell in spec.cells]
    else:
        try:
            outcomes = job.result()
        except Exception as error:  # noqa: BLE001 - submitit's FailedJobError / UncompletedJobError, a broken pickle
            outcomes = [_account(job, spec, cell, error=error) for cell in spec.cells]
    for cell in spec.cells:
        claims.clear_marker(spec.options.results_dir, cell, job_id=str(job.job_id))
    for outcome in outcomes:
        report(outcome)


def _account(job, spec: JobSpec, cell, error: Exception | None = None, state=None, gave_up: bool = False
             ) -> CellOutcome:
    results = spec.options.results_dir
    log, job_id = str(job.paths.stderr), str(job.job_id)
    executor = {"name": spec.executor, "job_id": job_id}
    common = {"log": log, "job_id": job_id, "executor": executor}
    if cell.record(results).exists():
        return CellOutcome(cell, "done", message="record written before the job ended", **common)
    failure = _failure_of(results, cell)
    if failure is not None and failure.job_id == job_id:
        return CellOutcome(cell, "failed", message=f"{failure.error}: {failure.message}", **common)
    tail = log_tail(log)
    ends = f"; its log ends: {tail[-1]}" if tail else ""
    if gave_up and state is not None:
        name, reason = state.reason.split(",")[0] or "NeverStarts", state.reason
        message = (f"Slurm job {job_id} can never start (pending reason {reason}); the sweep cancelled it: change "
                   "--time, --partition or the resources asked, then rerun with --retry-failed")
    elif state is not None:
        name, reason = state.state, state.reason or None
        gone = "left the queue (sacct cannot say how it ended)" if state.state == "GONE" else \
            f"ended {state.describe()}"
        message = f"Slurm job {job_id} {gone} without a record{ends}"
    else:
        name, reason = type(error).__name__, None
        lines = [line for line in str(error).strip().splitlines() if line.strip()]
        message = f"job {job_id} ended without a result: {lines[-1] if lines else name}"
    write_failure(results, cell, name, spec.digest, message=message,
                  traceback=str(error) if error is not None else None, log=log, job_id=job_id, executor=executor,
                  state=(state.describe() if state is not None else None), reason=reason, tail=tail)
    return CellOutcome(cell, "failed", message=f"{name}: {message}", **common)


def _failure_of(results: Path, cell):
    from irbench.errors import DatasetLayoutError
    from irbench.sweep.failures import failure_path

    try:
        return read_failure(failure_path(results, cell))
    except DatasetLayoutError:
        return None
