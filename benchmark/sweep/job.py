"""What one sweep job runs: some seeds of one task x baseline, each cell ending in a record or a failure
record, never stopping the job.

:class:`SweepJob` is the callable every executor runs (inline in this process, or pickled by submitit for
``local`` and ``slurm``). It is a ``submitit.helpers.Checkpointable``: on preemption or at its time limit
submitit calls :meth:`SweepJob.checkpoint`, which resubmits the same cells; each resumes from the last epoch
its training completed (irbench's work folder, ``results/<task>/<baseline>/.seed-<n>.work-<digest>/``), so the
requeued run ends with the same weights and metrics as an uninterrupted one. Lightning's own Slurm requeue is
off in irbench's training (``SLURMEnvironment(auto_requeue=False)``), so only submitit requeues.
"""

from __future__ import annotations

import logging

import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from typing import Literal

from irbench.errors import (
    AudioDecodeError,
    ConfigError,
    DataNotFoundError,
    DatasetLayoutError,
    IrbenchError,
    RecordLockedError,
    UnknownNameError,
)
from irbench.logs import messages_to
from irbench.run.runner import RunOptions
from irbench.sweep import claims
from irbench.sweep.cells import Cell
from irbench.sweep.failures import clear_failure, write_failure
from submitit.helpers import Checkpointable, DelayedSubmission

# errors of the data or the configuration, shared by every seed of a job: they fail all its remaining cells
SHARED_ERRORS = (DataNotFoundError, DatasetLayoutError, AudioDecodeError, ConfigError, UnknownNameError)


@dataclass
class JobSpec:
    """The cells of one job: ``seeds`` of ``options.task`` x ``options.baseline``.

    ``variant`` and ``configuration`` are its cells' (see :class:`~irbench.sweep.cells.Cell`).
    ``options.seed`` is ignored and ``options.workers`` 0 means "the cores this job may use". ``executor``
    names the sweep's executor (``inline``, ``local``, ``slurm``); ``digest`` is the planned configuration's
    (failure records carry it); ``command`` is the sweep's command line (what records of submitted jobs
    name as their ``provenance.command``); ``requeues`` counts the times submitit requeued the job, and
    ``spent`` the seconds earlier attempts spent on each seed (added to the cell's time when it ends).
    """

    options: RunOptions
    seeds: list[int]
    executor: str
    digest: str
    command: list[str] = field(default_factory=list)
    requeues: int = 0
    variant: tuple[str, ...] = ()
    configuration: str = ""
    spent: dict[int, float] = field(default_factory=dict)

    def cell(self, seed: int) -> Cell:
        """The job's cell of ``seed`` (its task, baseline, variant and configuration folder)."""
        return Cell(self.options.task, self.options.baseline, seed, self.variant, self.configuration)

    @property
    def cells(self) -> list[Cell]:
        """The job's cells in run order."""
        return [self.cell(seed) for seed in self.seeds]


@dataclass
class CellOutcome:
    """How a cell ended in a job.

    ``status``: ``done`` (record written), ``failed`` (failure record written), ``kept`` (a record appeared
    meanwhile and was kept) or ``busy`` (another process holds the cell). ``seconds``: wall time the job spent
    on it (a job's first cell includes the data preparation its seeds share). ``message``: the main score,
    the error, or why it was not run. ``log``/``job_id``: the job's log file and submitit id, if any.
    """

    cell: Cell
    status: Literal["done", "failed", "kept", "busy"]
    seconds: float = 0.0
    message: str = ""
    log: str | None = None
    job_id: str | None = None
    executor: dict[str, str] = field(default_factory=dict)


@dataclass
class JobContext:
    """Where this process runs: the executor name, submitit job id and log file (inside a submitit job),
    host name and process id."""

    executor: str
    job_id: str | None
    log: str | None
    host: str
    pid: int

    @classmethod
    def current(cls, executor: str) -> JobContext:
        """The context of this process; reads submitit's job environment inside a submitit job."""
        job_id = log = None
        if os.environ.get("SUBMITIT_EXECUTOR") and os.environ.get("SUBMITIT_FOLDER"):
            from submitit import JobEnvironment

            environment = JobEnvironment()
            job_id, log = environment.job_id, str(environment.paths.stderr)
        return cls(executor, job_id, log, socket.gethostname(), os.getpid())

    def provenance(self) -> dict[str, str]:
        """The record's ``provenance.executor`` (the runner adds Slurm job, array and restart ids)."""
        found = {"name": self.executor, "host": self.host}
        if self.job_id:
            found["job_id"] = self.job_id
        return found


class SweepJob(Checkpointable):
    """The callable a sweep submits: ``SweepJob()(spec)`` runs the cells of ``spec`` and returns their
    :class:`CellOutcome` list. Checkpointable: a preempted or timed-out job is requeued with the same cells."""

    def __call__(self, spec: JobSpec) -> list[CellOutcome]:
        """Run ``spec``'s cells (see :func:`run_job`); submitit's warnings go to the job's log once."""
        from irbench.sweep.submitit_logs import quiet_repeats

        quiet_repeats()
        return run_job(spec)

    def checkpoint(self, spec: JobSpec) -> DelayedSubmission:
        """Called by submitit on preemption or timeout: resubmit the same cells (they resume from their last
        completed epoch); ``requeues`` goes up by one, and the seconds the current cell ran so far are kept
        in ``spent``. Says in the job's log that Slurm holds a requeued job for its ``cred_expire``."""
        spent = dict(spec.spent)
        if _CURRENT.get("seed") is not None:
            seed = _CURRENT["seed"]
            spent[seed] = spent.get(seed, 0.0) + time.perf_counter() - _CURRENT["start"]
        wait = ("; Slurm starts a requeued job only after its cred_expire (120 s unless slurm.conf's AuthInfo sets "
                "cred_expire)") if spec.executor == "slurm" else ""
        print(f"note: requeueing {', '.join(cell.label for cell in spec.cells)} (requeue {spec.requeues + 1}){wait}; "
              "each cell resumes from its last completed epoch", file=sys.stderr, flush=True)
        return DelayedSubmission(self, replace(spec, requeues=spec.requeues + 1, spent=spent))


_CURRENT: dict = {}
"""The cell this process is running: ``{"seed": n, "start": time.perf_counter()}`` (for :meth:`SweepJob.checkpoint`)."""


def _note(message: str, level: int) -> None:
    word = "warning" if level >= logging.WARNING else "note"
    print(f"{word}: {message}", file=sys.stderr, flush=True)


def run_job(spec: JobSpec, listener: Callable[[CellOutcome], None] | None = None,
            show: Callable[[str, int], None] = _note) -> list[CellOutcome]:
    """Run the cells of ``spec`` in order, the data prepared once for all of them, and return their outcomes.

    Each cell is claimed first (its lock; a cell another process holds is ``busy`` and left alone). A cell
    that raises gets a failure record and the job goes on with the next seed (an error of the data or the
    configuration fails the remaining seeds too, with the same message). ``listener`` hears each outcome as
    it happens; ``show(message, level)`` displays irbench's log messages while the job runs (INFO and up,
    :mod:`irbench.logs`; default: ``note: ...`` lines on standard error, the job's log).

    Raises only what stops the process: ``SystemExit`` (submitit's requeue exits through it) and
    ``KeyboardInterrupt``.
    """
    context = JobContext.current(spec.executor)
    outcomes: list[CellOutcome] = []

    def report(outcome: CellOutcome) -> None:
        outcomes.append(outcome)
        if listener is not None:
            listener(outcome)

    results = spec.options.results_dir
    with ExitStack() as held:
        seeds = []
        for cell in spec.cells:
            lock = claims.claim(results, cell)
            if lock is None:
                report(CellOutcome(cell, "busy", message="another process is running this cell",
                                   executor=context.provenance()))
                continue
            held.callback(lock.release)
            claims.write_marker(results, cell, "queued", spec.executor, context.job_id, context.log)
            seeds.append(cell.seed)
        try:
            with messages_to(show):
                _run_cells(spec, seeds, context, report)
        except KeyboardInterrupt as interrupt:
            # training turns a SystemExit inside Lightning into KeyboardInterrupt; in a submitit job that exit is
            # submitit's requeue (exit status 144 asks its local controller to restart the job): let it through
            if context.job_id and isinstance(interrupt.__cause__, SystemExit):
                raise interrupt.__cause__ from None
            raise
    return outcomes


def _run_cells(spec: JobSpec, seeds: list[int], context: JobContext, report: Callable[[CellOutcome], None]
               ) -> None:
    from irbench.run.parallel import default_workers
    from irbench.run.runner import run_seeds

    results = spec.options.results_dir
    options = replace(spec.options, executor=context.provenance(),
                      workers=spec.options.workers or default_workers(),
                      command=" ".join(spec.command) if spec.command else None)  # the sweep's, not submitit's
    remaining = list(seeds)
    while remaining:
        cell = spec.cell(remaining[0])
        claims.write_marker(results, cell, "running", spec.executor, context.job_id, context.log)
        start = time.perf_counter()
        _CURRENT.update(seed=cell.seed, start=start)
        try:
            for outcome in run_seeds(replace(options, seed=remaining[0]), list(remaining)):
                done = spec.cell(outcome.seed)
                remaining.remove(outcome.seed)
                report(_ended(spec, context, done, outcome, time.perf_counter() - start))
                start = time.perf_counter()
                if remaining:
                    _CURRENT.update(seed=remaining[0], start=start)
                    claims.write_marker(results, spec.cell(remaining[0]), "running",
                                        spec.executor, context.job_id, context.log)
        except RecordLockedError as error:  # a plain `irbench run` of the same cells is writing them
            for seed in list(remaining):
                done = spec.cell(seed)
                claims.clear_marker(results, done)
                report(CellOutcome(done, "busy", message=str(error), executor=context.provenance()))
            remaining.clear()
        except Exception as error:  # noqa: BLE001 - a failed cell must not stop the sweep; SystemExit and Ctrl-C pass
            failed = list(remaining) if isinstance(error, SHARED_ERRORS) else remaining[:1]
            seconds = time.perf_counter() - start
            for seed in failed:
                report(_failed(spec, context, spec.cell(seed), error, seconds))
                remaining.remove(seed)


def _ended(spec: JobSpec, context: JobContext, cell: Cell, outcome, seconds: float) -> CellOutcome:
    results = spec.options.results_dir
    claims.clear_marker(results, cell)
    common = {"seconds": seconds + spec.spent.get(cell.seed, 0.0), "log": context.log, "job_id": context.job_id,
              "executor": context.provenance()}
    if outcome.record is None:
        return CellOutcome(cell, "kept", message=outcome.kept or "", **common)
    clear_failure(results, cell)
    record = outcome.record
    return CellOutcome(cell, "done", message=f"{record.main_score} = {record.metrics[record.main_score]:.4f}",
                       **common)


def _failed(spec: JobSpec, context: JobContext, cell: Cell, error: Exception, seconds: float) -> CellOutcome:
    results = spec.options.results_dir
    trace = None if isinstance(error, IrbenchError) else traceback.format_exc()
    message = str(error) or type(error).__name__
    write_failure(results, cell, error, spec.digest, message=message, traceback=trace, log=context.log,
                  job_id=context.job_id, executor=context.provenance())
    claims.clear_marker(results, cell)
    seconds += spec.spent.get(cell.seed, 0.0)
    return CellOutcome(cell, "failed", seconds, f"{type(error).__name__}: {message}", context.log, context.job_id,
                       context.provenance())
