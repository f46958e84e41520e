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
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from irbench.errors import ConfigError
from irbench.store.atomic import atomic_write_text
from irbench.sweep.cells import Cell
from pydantic import BaseModel, ConfigDict, ValidationError

CLAIM_TIMEOUT_S = 10.0  # a status probe holds the lock for microseconds; a running job holds it for good


class Marker(BaseModel):
    """Which job has a cell: ``state`` (``queued``: submitted or waiting for an earlier seed of its job;
    ``running``), ``executor`` name, submitit ``job_id``, ``host`` and ``pid`` of the process that wrote it,
    ``since`` (UTC, ISO 8601), the job's ``log`` file, and ``pid_start``: the process's start time (clock ticks
    after boot, from ``/proc/<pid>/stat``; ``None`` where unknown), so that a reused pid is not taken for the
    job."""

    model_config = ConfigDict(extra="ignore")

    state: Literal["queued", "running"]
    executor: str
    job_id: str | None = None
    host: str
    pid: int
    since: str
    log: str | None = None
    pid_start: int | None = None


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

    On a file system without ``flock`` returns a lock that does nothing (the cell runs unlocked). Raises
    ``ConfigError`` naming the lock file when it cannot be opened for writing (a read-only folder)."""
    from filelock import Timeout

    try:
        lock = _file_lock(lock_path(results_dir, cell), timeout)
        lock.acquire()
    except Timeout:
        return None
    except (NotImplementedError, OSError) as error:
        if isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise ConfigError(f"{lock_path(results_dir, cell)}: the cell's lock cannot be taken ({error.strerror}); "
                              "is the results folder read-only?") from error
        if isinstance(error, OSError) and error.errno not in (errno.ENOSYS, errno.ENOLCK, errno.EOPNOTSUPP):
            raise
        return _NoLock()
    return lock


def is_claimed(results_dir: Path, cell: Cell) -> bool:
    """Whether a live process holds the cell's lock (never waits, never writes: the lock file is opened
    read-only and probed with a shared ``flock``, so a read-only results folder can be inspected; ``False``
    where ``flock`` is missing or the file cannot be opened)."""
    path = lock_path(results_dir, cell)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: filelock's own probe
        return _probe_with_filelock(results_dir, cell)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(descriptor)  # closing releases the probe's shared lock
    return False


def _probe_with_filelock(results_dir: Path, cell: Cell) -> bool:
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
                    since=datetime.now(timezone.utc).isoformat(timespec="seconds"), log=log,
                    pid_start=process_start(os.getpid()))
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
    ended without clearing it), with the marker and a one-line ``detail``; ``confirmed`` when the lock is held
    or Slurm says the job is waiting or running (not only a marker's word, which a record outranks)."""

    state: Literal["queued", "running", "stale"]
    marker: Marker | None
    detail: str
    confirmed: bool = False


def activity(results_dir: Path, cell: Cell, slurm_states: dict | None = None) -> Activity | None:
    """Whether ``cell`` is queued or running somewhere, from its lock and marker; ``None`` when idle.

    ``slurm_states``: job id -> :class:`~irbench.sweep.scheduler.JobState` (see
    :func:`irbench.sweep.scheduler.job_states`) for markers of Slurm jobs; without an entry, a Slurm marker is
    trusted as written (this host cannot see the job's process). A marker of a process on this host that is
    gone, or whose pid now belongs to another process (another start time), is ``stale``."""
    marker = read_marker(results_dir, cell)
    where = _describe(marker)
    if is_claimed(results_dir, cell):
        return Activity(marker.state if marker else "running", marker, where, confirmed=True)
    if marker is None:
        return None
    if marker.executor == "slurm" and marker.job_id:
        state = (slurm_states or {}).get(marker.job_id)
        if state is None:
            return Activity(marker.state, marker, f"{where} (Slurm state not checked)")
        if state.waiting:
            never = state.never_starts()
            why = f"; can never start ({never}): scancel it and fix --time, --partition or the resources" \
                if never else ""
            return Activity("queued", marker, f"{where}, Slurm state {state.describe()}{why}", confirmed=True)
        if state.running:
            return Activity(marker.state, marker, f"{where}, Slurm state {state.describe()}", confirmed=True)
        from irbench.sweep.failures import log_tail

        tail = log_tail(marker.log, 1)
        ends = f"; log {marker.log} ends: {tail[-1]}" if tail else (f"; log {marker.log}" if marker.log else "")
        how = "left the queue" if state.state == "GONE" else f"ended ({state.describe()})"
        return Activity("stale", marker, f"{where} {how} without a record{ends}")
    if marker.host == socket.gethostname() and not _alive(marker.pid, marker.pid_start):
        return Activity("stale", marker, f"{where} ended without a record")
    return Activity(marker.state, marker, where)


def _describe(marker: Marker | None) -> str:
    if marker is None:
        return "locked by a running process"
    job = f" job {marker.job_id}" if marker.job_id else ""
    return f"{marker.executor}{job} on {marker.host} (pid {marker.pid}) since {marker.since}"


def process_start(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks after boot (field 22 of ``/proc/<pid>/stat``), or
    ``None`` where there is no ``/proc`` or no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
        return int(text[text.rindex(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int, started: int | None = None) -> bool:
    """Whether process ``pid`` exists and, when ``started`` is known, is the one that started then."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        pass
    if started is not None:
        now = process_start(pid)
        return now is None or now == started
    return True
