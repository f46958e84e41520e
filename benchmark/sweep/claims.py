"""Who is running a cell: a file lock held while a job runs it, and a marker saying which job that is.

Beside ``seed-<n>.json``, hidden so that no report or glob of records sees them:

- ``.seed-<n>.sweep.lock``: an OS file lock (``filelock``, ``flock``) that a sweep job holds from the moment
  it takes the cell until the cell ends, so two sweeps (or a requeued job and a stale one) never run the same
  cell at once, and ``--status`` can tell a live job from a dead one. The OS releases it when the process
  ends, however it ends. On a file system without ``flock`` the cell runs unlocked. (The runner's own
  ``.seed-<n>.lock`` guards the writing of the record; it is never probed here, since ``irbench run`` gives
  up at once when it finds that lock taken.)
- ``.seed-<n>.job.json``: the :class:`Marker`, written by the launcher when it submits the cell (``queued``)
  and by the job when the cell starts (``running``), removed when the cell ends. A marker left by a job that
  died is recognised as stale (its process is gone, or Slurm says the job ended).

:func:`activity` combines the two for ``irbench sweep --status`` and for planning.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from irbench.store.atomic import atomic_write_text
from irbench.sweep.cells import Cell
from pydantic import BaseModel, ConfigDict, ValidationError

CLAIM_TIMEOUT_S = 10.0  # a status probe holds the lock for microseconds; a running job holds it for good
SLURM_WAITING = {"PENDING", "REQUEUED", "CONFIGURING", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SUSPENDED",
                 "PREEMPTED"}
SLURM_RUNNING = {"RUNNING", "COMPLETING", "STAGE_OUT"}


class Marker(BaseModel):
    """Which job has a cell: ``state`` (``queued``: submitted or waiting for an earlier seed of its job;
    ``running``), ``executor`` name, submitit ``job_id``, ``host`` and ``pid`` of the process that wrote it,
    ``since`` (UTC, ISO 8601) and the job's ``log`` file."""

    model_config = ConfigDict(extra="ignore")

    state: Literal["queued", "running"]
    executor: str
    job_id: str | None = None
    host: str
    pid: int
    since: str
    log: str | None = None


def lock_path(results_dir: Path, cell: Cell) -> Path:
    """``.seed-<n>.sweep.lock`` beside the cell's record."""
    return cell.record(results_dir).with_name(f".seed-{cell.seed}.sweep.lock")


def marker_path(results_dir: Path, cell: Cell) -> Path:
    """``.seed-<n>.job.json`` beside the cell's record."""
    return cell.record(results_dir).with_name(f".seed-{cell.seed}.job.json")


def _file_lock(path: Path, timeout: float):
    from filelock import FileLock

    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # a soft lock outlives a killed job and would block its requeued self; rather run unlocked
        return FileLock(str(path), timeout=timeout, fallback_to_soft=False)
    except TypeError:  # filelock before 3.20 has no fallback (and never falls back)
        return FileLock(str(path), timeout=timeout)


def claim(results_dir: Path, cell: Cell, timeout: float = CLAIM_TIMEOUT_S):
    """Take the cell's lock: returns an object with ``release()``, or ``None`` when another process holds it.

    On a file system without ``flock`` returns a lock that does nothing (the cell runs unlocked)."""
    from filelock import Timeout

    lock = _file_lock(lock_path(results_dir, cell), timeout)
    try:
        lock.acquire()
    except Timeout:
        return None
    except (NotImplementedError, OSError) as error:
        if isinstance(error, OSError) and error.errno not in (errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP):
            raise
        return _NoLock()
    return lock


def is_claimed(results_dir: Path, cell: Cell) -> bool:
    """Whether a live process holds the cell's lock (never waits; ``False`` where ``flock`` is missing)."""
    if not lock_path(results_dir, cell).exists():
        return False
    lock = claim(results_dir, cell, timeout=0)
    if lock is None:
        return True
    lock.release()
    return False


class _NoLock:
    def release(self) -> None:
        """Nothing to release."""


def write_marker(results_dir: Path, cell: Cell, state: str, executor: str, job_id: str | None = None,
                 log: str | None = None) -> None:
    """Say (atomically) that ``cell`` is ``queued`` or ``running`` in this process's job."""
    marker = Marker(state=state, executor=executor, job_id=job_id, host=socket.gethostname(), pid=os.getpid(),
                    since=datetime.now(timezone.utc).isoformat(timespec="seconds"), log=log)
    atomic_write_text(marker_path(results_dir, cell), marker.model_dump_json(indent=2))


def read_marker(results_dir: Path, cell: Cell) -> Marker | None:
    """The cell's marker, or ``None`` (absent or unreadable: a marker is only a hint)."""
    try:
        return Marker.model_validate(json.loads(marker_path(results_dir, cell).read_text(encoding="utf-8")))
    except (OSError, ValueError, ValidationError):
        return None


def clear_marker(results_dir: Path, cell: Cell, job_id: str | None = None) -> None:
    """Remove the cell's marker; with ``job_id``, only a marker of that job."""
    if job_id is not None:
        marker = read_marker(results_dir, cell)
        if marker is not None and marker.job_id != job_id:
            return
    marker_path(results_dir, cell).unlink(missing_ok=True)


@dataclass
class Activity:
    """What is happening to a cell now: ``state`` ``queued`` or ``running``, or ``stale`` (a marker whose job
    ended without clearing it), with the marker and a one-line ``detail``."""

    state: Literal["queued", "running", "stale"]
    marker: Marker | None
    detail: str


def activity(results_dir: Path, cell: Cell, slurm_states: dict[str, str] | None = None) -> Activity | None:
    """Whether ``cell`` is queued or running somewhere, from its lock and marker; ``None`` when idle.

    ``slurm_states``: job id -> Slurm state (see :func:`slurm_job_states`) for markers of Slurm jobs; without
    an entry, a Slurm marker is trusted as written (this host cannot see the job's process)."""
    marker = read_marker(results_dir, cell)
    where = _describe(marker)
    if is_claimed(results_dir, cell):
        return Activity(marker.state if marker else "running", marker, where)
    if marker is None:
        return None
    if marker.executor == "slurm" and marker.job_id:
        state = (slurm_states or {}).get(marker.job_id)
        if state is None:
            return Activity(marker.state, marker, f"{where} (Slurm state not checked)")
        if state.upper() in SLURM_WAITING:
            return Activity("queued", marker, f"{where}, Slurm state {state}")
        if state.upper() in SLURM_RUNNING:
            return Activity(marker.state, marker, f"{where}, Slurm state {state}")
        return Activity("stale", marker, f"{where} ended ({state}) without a record")
    if marker.host == socket.gethostname() and not _alive(marker.pid):
        return Activity("stale", marker, f"{where} ended without a record")
    return Activity(marker.state, marker, where)


def _describe(marker: Marker | None) -> str:
    if marker is None:
        return "locked by a running process"
    job = f" job {marker.job_id}" if marker.job_id else ""
    return f"{marker.executor}{job} on {marker.host} (pid {marker.pid}) since {marker.since}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def slurm_job_states(job_ids: set[str]) -> dict[str, str]:
    """Slurm state of each job id (``12345_3`` for array tasks) from one ``sacct`` call through submitit's
    watcher; empty when ``sacct`` is not on ``PATH`` or answers nothing."""
    if not job_ids or shutil.which("sacct") is None:
        return {}
    from submitit.slurm.slurm import SlurmInfoWatcher

    watcher = SlurmInfoWatcher(delay_s=0)
    for job_id in sorted(job_ids):
        watcher.register_job(job_id)
    watcher.update()
    states = {job_id: watcher.get_state(job_id, mode="cache") for job_id in job_ids}
    return {job_id: state for job_id, state in states.items() if state and state != "UNKNOWN"}
