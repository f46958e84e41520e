"""Failure records: what a failed sweep cell leaves where its run record would be.

``RESULTS_DIR/<task>/<baseline>/seed-<n>.failure.json`` beside ``seed-<n>.json``. ``irbench report`` never
reads it (:func:`irbench.store.records.find_records` matches ``seed-<digits>.json`` only). It names the exception,
its message, the job's log file and id, where it ran, when, how many attempts failed with the same
configuration, and that configuration's digest (:meth:`irbench.sweep.identity.PlannedConfig.digest`): a
failure under other settings does not hold back a sweep with new ones. The record is removed when the cell
later succeeds. Written atomically.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime, timezone
from pathlib import Path

from irbench.store.atomic import atomic_write_text
from irbench.errors import DatasetLayoutError
from irbench.sweep.cells import Cell
from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT = "irbench-sweep-failure/1"
TRACEBACK_LIMIT = 20_000  # characters of a traceback kept (its end)


class FailureRecord(BaseModel):
    """One failed cell.

    Attributes
    ----------
    error: the exception's class name (``TrainingDivergedError``, ``FailedJobError`` for a job that died).
    message: its message, as the command line would print it.
    traceback: the end of the Python traceback for errors that are not irbench's own messages (a bug or a
        crash), else ``None``.
    log: the job's stderr file (submitit's), or ``None`` for cells run inline.
    job_id: the submitit job id (``12345_7`` for a Slurm array task), or ``None`` inline.
    executor: where it ran: ``{"name": ..., "host": ..., "job_id": ...}``.
    failed_at: UTC time, ISO 8601.
    attempts: failures in a row with this configuration (``--retry-failed`` adds one when it fails again).
    configuration: digest of the cell's planned configuration.
    state: the scheduler's word for how the job ended (``CANCELLED by 0``, ``TIMEOUT``, ``OUT_OF_MEMORY``,
        ``NODE_FAIL``, ``PREEMPTED``, ``GONE``; ``PENDING`` for a job that could never start), or ``None``.
    reason: the scheduler's reason (a pending reason such as ``PartitionTimeLimit``), or ``None``.
    log_tail: the last lines of the job's error log (at most :data:`LOG_TAIL_LINES`).
    """

    model_config = ConfigDict(extra="allow")

    format: str = FORMAT
    task: str
    baseline: str
    seed: int
    error: str
    message: str
    traceback: str | None = None
    log: str | None = None
    job_id: str | None = None
    executor: dict[str, str] = Field(default_factory=dict)
    failed_at: str
    attempts: int = 1
    configuration: str
    state: str | None = None
    reason: str | None = None
    log_tail: list[str] = Field(default_factory=list)


LOG_TAIL_LINES = 5
_LOG_TAIL_BYTES = 16_384


def log_tail(path: Path | str | None, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` non-blank lines of the log file at ``path`` (each at most 300 characters; only its
    last 16 KiB are read); empty when there is no such regular file or it cannot be read."""
    if not path:
        return []
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO planted as a log never blocks
    except OSError:
        return []
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            return []
        os.lseek(descriptor, max(0, status.st_size - _LOG_TAIL_BYTES), os.SEEK_SET)
        text = os.read(descriptor, _LOG_TAIL_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return []
    finally:
        os.close(descriptor)
    found = [line.strip()[:300] for line in text.splitlines() if line.strip()]
    return found[-lines:]


def failure_path(results_dir: Path, cell: Cell) -> Path:
    """``results_dir/<task>/<baseline>/seed-<n>.failure.json``."""
    return cell.record(results_dir).with_name(f"seed-{cell.seed}.failure.json")


def read_failure(path: Path) -> FailureRecord | None:
    """The failure record at ``path``, or ``None`` when there is none.

    Raises ``DatasetLayoutError`` naming the file when it exists but is not a failure record."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise DatasetLayoutError(path, f"unreadable failure record ({error})") from error
    try:
        return FailureRecord.model_validate(json.loads(text))
    except (ValueError, ValidationError) as error:
        raise DatasetLayoutError(path, f"not an irbench sweep failure record ({error})") from error


def write_failure(results_dir: Path, cell: Cell, error: BaseException | str, configuration: str, *,
                  message: str | None = None, traceback: str | None = None, log: str | None = None,
                  job_id: str | None = None, executor: dict[str, str] | None = None, state: str | None = None,
                  reason: str | None = None, tail: list[str] | None = None) -> FailureRecord:
    """Write (atomically) and return the failure record of ``cell``.

    ``error`` is the exception, or the name of what failed when there is no exception object (a job that
    died); ``message`` defaults to ``str(error)``; ``state``, ``reason`` and ``tail`` are the scheduler's state
    and reason and the last lines of the job's log. ``attempts`` continues the count of an earlier record of
    the same ``configuration`` digest (an unreadable earlier record counts as none)."""
    path = failure_path(results_dir, cell)
    try:
        previous = read_failure(path)
    except DatasetLayoutError:
        previous = None
    attempts = previous.attempts + 1 if previous and previous.configuration == configuration else 1
    name = error if isinstance(error, str) else type(error).__name__
    record = FailureRecord(
        task=cell.task, baseline=cell.baseline, seed=cell.seed, error=name,
        message=message if message is not None else str(error),
        traceback=traceback[-TRACEBACK_LIMIT:] if traceback else None, log=log, job_id=job_id,
        executor=dict(executor or {}), failed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        attempts=attempts, configuration=configuration, state=state, reason=reason, log_tail=list(tail or []),
    )
    atomic_write_text(path, record.model_dump_json(indent=2))
    return record


def clear_failure(results_dir: Path, cell: Cell) -> None:
    """Remove the failure record of ``cell`` if there is one (after it succeeded)."""
    failure_path(results_dir, cell).unlink(missing_ok=True)
