"""Waiting for a submitted Slurm array: every job is followed until it ended, whatever Slurm can tell.

Each poll first looks for each job's result file (submitit's, written by the job as it returns), then asks
Slurm once for all the others (:func:`irbench.sweep.scheduler.job_states`: ``squeue``, then ``sacct``):

- a job with its result is collected (its cells' records or failure records);
- a job that ended without a result (``CANCELLED``, ``TIMEOUT``, ``OUT_OF_MEMORY``, ``NODE_FAIL``, ... or
  gone from the queue when ``sacct`` cannot answer) fails its cells with that state, after
  :data:`RESULT_GRACE_S` seconds in which a slow shared file system may still show the result;
- a job pending for a reason that means it can never start (:data:`~irbench.sweep.scheduler.NEVER_STARTS`:
  ``PartitionTimeLimit``, ``QOSMaxWallDurationPerJobLimit``, ``ReqNodeNotAvail``, ...) is cancelled and its
  cells fail naming the reason;
- a job seen running that is pending again was requeued (preempted, or its time limit): said once per
  requeue, with the wait Slurm adds (its ``cred_expire``).

Notes about Slurm itself (``sacct`` missing: states from ``squeue``) are shown once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from irbench.sweep.executors import collect
from irbench.sweep.job import JobSpec
from irbench.sweep.progress import ProgressView
from irbench.sweep.scheduler import JobState, job_states, run_command

RESULT_GRACE_S = 30.0
DEFAULT_CRED_EXPIRE_S = 120


def cred_expire_s() -> int:
    """Seconds Slurm holds a requeued job before it may start again (``cred_expire`` in ``AuthInfo`` of
    ``scontrol show config``; Slurm's default 120 when it is not set or cannot be read)."""
    code, out, _ = run_command(["scontrol", "show", "config"])
    match = re.search(r"cred_expire=(\d+)", out) if code == 0 else None
    return int(match.group(1)) if match else DEFAULT_CRED_EXPIRE_S


def watch(submitted: list[tuple[object, JobSpec]], progress: ProgressView, poll_s: float,
          clock: Callable[[], float] = time.monotonic, grace_s: float = RESULT_GRACE_S) -> None:
    """Follow submitit ``jobs`` (with the :class:`JobSpec` each runs) until every one has been collected,
    reporting each cell to ``progress`` (see the module's rules). ``poll_s``: seconds between looks."""
    pending = {str(job.job_id): (job, spec) for job, spec in submitted}
    seen_running: set[str] = set()
    ended_since: dict[str, float] = {}
    shown: set[str] = set()
    while pending:
        for job_id in [i for i, (job, _) in pending.items() if job.paths.result_pickle.exists()]:
            job, spec = pending.pop(job_id)
            collect(job, spec, progress.finished)
        if not pending:
            return
        states, notes = job_states(set(pending))
        for note in notes:
            if note not in shown:
                shown.add(note)
                progress.show(f"note: {note}")
        for job_id, (job, spec) in list(pending.items()):
            state = states.get(job_id)
            if state is None:
                continue
            if state.running:
                seen_running.add(job_id)
            elif state.waiting:
                _waiting(job_id, job, spec, state, pending, seen_running, progress)
            elif job.paths.result_pickle.exists() or clock() - ended_since.setdefault(job_id, clock()) >= grace_s:
                pending.pop(job_id)
                collect(job, spec, progress.finished, state=state)
        if pending:
            time.sleep(poll_s)


def _waiting(job_id: str, job, spec: JobSpec, state: JobState, pending: dict, seen_running: set[str],
             progress: ProgressView) -> None:
    reason = state.never_starts()
    if reason:
        job.cancel(check=False)
        pending.pop(job_id)
        progress.show(f"[sweep] Slurm job {job_id} can never start ({reason}): cancelled")
        collect(job, spec, progress.finished, state=state, gave_up=True)
    elif job_id in seen_running:
        seen_running.discard(job_id)
        cells = ", ".join(cell.label for cell in spec.cells)
        progress.show(f"[sweep] {cells} requeued (Slurm job {job_id}, {state.describe()}): Slurm starts it again "
                      f"after its cred_expire, {cred_expire_s()} s, and it resumes from its last epoch")
