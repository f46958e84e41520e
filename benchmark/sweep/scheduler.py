"""What Slurm says about a sweep's jobs: their states and reasons (``squeue``, ``sacct``), and the limits of a
partition (``scontrol show partition``).

Every query runs a Slurm command with a time limit and never raises for a missing or failing command: it
answers what it could learn and a ``note`` saying what it could not (shown once by the caller).

- :func:`job_states`: job id (``1234_7`` for an array task) -> :class:`JobState`. Jobs still in the queue
  come from ``squeue`` (state and pending reason, one line per array task); jobs that left it from
  ``sacct``. Without ``sacct`` (absent, or accounting down: it exits non-zero, or gives no answer in
  :data:`QUERY_TIMEOUT_S`), a job that left the queue is ``GONE``: it ended, and how is unknown; a cell of it
  without a record has failed. A job that left the queue is never taken for running or queued, even where
  accounting lags behind (``sacct`` still says ``RUNNING``): it is ``GONE`` until ``sacct`` has its end.
- :func:`partition_limits` and :func:`check_limits`: ``--time``, ``--gpus``, ``--cpus`` and ``--mem-gb``
  against the partition's ``MaxTime``, ``TRES`` (its total CPUs, memory, GPUs), ``MaxCPUsPerNode`` and
  ``MaxMemPerNode``, before anything is submitted.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass


QUERY_TIMEOUT_S = 30.0
WAITING = {"PENDING", "REQUEUED", "CONFIGURING", "REQUEUE_HOLD", "REQUEUE_FED", "RESIZING", "SUSPENDED",
           "PREEMPTED"}
RUNNING = {"RUNNING", "COMPLETING", "STAGE_OUT", "SIGNALING"}
NEVER_STARTS = ("PartitionTimeLimit", "QOSMaxWallDurationPerJobLimit", "AssocMaxWallDurationPerJobLimit",
                "ReqNodeNotAvail", "PartitionNodeLimit", "PartitionConfig", "BadConstraints", "InvalidAccount",
                "InvalidQOS", "QOSMaxCpuPerJobLimit", "QOSMaxGRESPerJob", "QOSMaxMemoryPerJob",
                "QOSMaxNodePerJobLimit", "DependencyNeverSatisfied", "JobHeldAdmin")
"""Pending reasons of a job that will not start as submitted (a limit it exceeds, a node or account that is not
there): a waiting sweep gives up on it and names the reason."""
GONE = "GONE"


@dataclass(frozen=True)
class JobState:
    """One job's state as Slurm reports it: ``state`` (``PENDING``, ``RUNNING``, ``CANCELLED``, ``TIMEOUT``,
    ``OUT_OF_MEMORY``, ``NODE_FAIL``, ``PREEMPTED``, ... or ``GONE``: left the queue, unknown how),
    ``detail`` (the rest of Slurm's words: ``by 0`` after ``CANCELLED``), ``reason`` (``squeue``'s pending
    reason or ``sacct``'s, ``""`` when none), ``exit_code`` (``sacct``'s ``N:S``), ``source`` (``squeue``,
    ``sacct`` or ``gone``)."""

    state: str
    detail: str = ""
    reason: str = ""
    exit_code: str = ""
    source: str = "squeue"

    @property
    def waiting(self) -> bool:
        """Queued, requeued, suspended or preempted: it may still run."""
        return self.state in WAITING

    @property
    def running(self) -> bool:
        """Running (or completing)."""
        return self.state in RUNNING

    @property
    def ended(self) -> bool:
        """It will not run again by itself (completed, failed, cancelled, ... or gone)."""
        return not self.waiting and not self.running

    def never_starts(self) -> str | None:
        """The pending reason when it means the job cannot start as submitted, else ``None``."""
        if self.waiting and any(self.reason.startswith(reason) for reason in NEVER_STARTS):
            return self.reason
        return None

    def describe(self) -> str:
        """``CANCELLED by 0``, ``PENDING (PartitionTimeLimit)``, ``OUT_OF_MEMORY (exit 0:125)``."""
        words = " ".join(part for part in (self.state, self.detail) if part)
        extra = [self.reason] if self.reason and self.reason not in ("None", "(null)") else []
        if self.exit_code and self.ended and self.exit_code != "0:0":
            extra.append(f"exit {self.exit_code}")
        return f"{words} ({', '.join(extra)})" if extra else words


def run_command(command: list[str]) -> tuple[int, str, str]:
    """``(exit status, stdout, stderr)`` of a Slurm command; 127 when absent, 124 after the time limit."""
    if shutil.which(command[0]) is None:
        return 127, "", f"{command[0]} is not on PATH"
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=QUERY_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return 124, "", f"{command[0]} gave no answer in {QUERY_TIMEOUT_S:.0f} s"
    except OSError as error:
        return 126, "", f"{command[0]}: {error}"
    return done.returncode, done.stdout, done.stderr


def one_line(text: str, limit: int = 300) -> str:
    """``text``'s lines joined with ``; `` into one, cut to ``limit`` characters."""
    line = "; ".join(part.strip() for part in text.strip().splitlines() if part.strip())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def last_error(command: str, err: str, code: int) -> str:
    """What a failed Slurm ``command`` said last, without its ``<command>: error:`` prefix (``sacct`` with
    slurmdbd down prints three lines, the last one the gist: ``Problem talking to the database: Connection
    refused``); ``exit <code>`` when it said nothing."""
    lines = [line.strip() for line in err.strip().splitlines() if line.strip()]
    if not lines:
        return f"exit {code}"
    last = re.sub(rf"^{re.escape(command)}: (error: )?", "", lines[-1])
    return one_line(last)


_ARRAY = re.compile(r"(?P<main>\d+)_\[(?P<ranges>[\d,\-]+)(?:%\d+)?\]")


def expand_ids(job_id: str) -> list[str]:
    """``1234_[0-2,5%2]`` -> ``["1234_0", "1234_1", "1234_2", "1234_5"]``; any other id as it is."""
    match = _ARRAY.fullmatch(job_id.strip())
    if not match:
        return [job_id.strip()]
    found = []
    for part in match.group("ranges").split(","):
        first, _, last = part.partition("-")
        if first.isdigit():
            found += [f"{match.group('main')}_{i}" for i in range(int(first), int(last or first) + 1)]
    return found


def _state_words(text: str) -> tuple[str, str]:
    state, _, detail = text.strip().partition(" ")
    return state.upper().rstrip("+"), detail.strip()


def squeue_states(job_ids: set[str]) -> tuple[dict[str, JobState] | None, str]:
    """States and pending reasons of the jobs still in the queue (``squeue --array``), or ``None`` and why
    when ``squeue`` cannot answer."""
    mains = sorted({job_id.split("_")[0] for job_id in job_ids})
    code, out, err = run_command(["squeue", "--noheader", "--array", "--format=%i|%T|%r", "--jobs", ",".join(mains)])
    if code != 0 and "Invalid job id" not in err:  # every job left the queue: squeue says so, and exits 1
        return None, f"squeue failed ({one_line(err) or f'exit {code}'})"
    found = {}
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) < 3:
            continue
        state, detail = _state_words(parts[1])
        for job_id in expand_ids(parts[0]):
            found[job_id] = JobState(state, detail, parts[2].strip(), source="squeue")
    return found, ""


def sacct_states(job_ids: set[str]) -> tuple[dict[str, JobState] | None, str]:
    """States, reasons and exit codes from accounting (``sacct``), or ``None`` and why when it cannot answer
    (absent, or accounting down)."""
    mains = sorted({job_id.split("_")[0] for job_id in job_ids})
    code, out, err = run_command(["sacct", "--noheader", "--parsable2", "--allocations",
                           "--format=JobID,State,ExitCode,Reason", "--jobs", ",".join(mains)])
    if code != 0:
        return None, f"sacct failed ({last_error('sacct', err, code)})"
    found = {}
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) < 2 or "." in parts[0]:
            continue
        state, detail = _state_words(parts[1])
        exit_code = parts[2].strip() if len(parts) > 2 else ""
        reason = parts[3].strip() if len(parts) > 3 else ""
        for job_id in expand_ids(parts[0]):
            found[job_id] = JobState(state, detail, reason, exit_code, source="sacct")
    for job_id in job_ids:  # a one-task array cancelled before it started: sacct names it by its main id only
        main = job_id.split("_")[0]
        if job_id not in found and main != job_id and main in found:
            found[job_id] = found[main]
    return found, ""


def job_states(job_ids: set[str]) -> tuple[dict[str, JobState], list[str]]:
    """Job id -> :class:`JobState` for every id Slurm could tell about, and notes on what it could not
    (``sacct`` missing: states come from ``squeue``, and a job gone from the queue is ``GONE``).

    Jobs in the queue: ``squeue``'s word (it has the pending reason); the others: ``sacct``'s. A job that
    ``squeue`` answered without and ``sacct`` cannot tell about (``sacct`` down or absent; or it has no line for
    it: an array task cancelled before it started, a job purged from accounting) is ``GONE``; so is one that
    ``sacct`` still calls queued or running when ``squeue`` no longer lists it (accounting behind). Only when
    ``squeue`` cannot answer is a job left out (nothing known)."""
    if not job_ids:
        return {}, []
    notes = []
    queued, why_not_queue = squeue_states(job_ids)
    if queued is None:
        notes.append(why_not_queue)
    found = {job_id: state for job_id, state in (queued or {}).items() if job_id in job_ids}
    left = job_ids - set(found)
    if not left:
        return found, notes
    accounted, why_not_sacct = sacct_states(left)
    if accounted is None and queued is None:
        notes.append(why_not_sacct)
    elif accounted is None:
        notes.append(f"{why_not_sacct}: job states come from squeue, and a job gone from the queue without a "
                     "record counts as failed")
        found.update({job_id: JobState(GONE, reason="left the queue; sacct cannot say how it ended", source="gone")
                      for job_id in left})
    else:
        found.update({job_id: state for job_id, state in accounted.items() if job_id in left})
        if queued is not None:  # sbatch returns once the job is queued: not in the queue now means it ended
            found.update({job_id: JobState(GONE, reason="left the queue; sacct has no record of it", source="gone")
                          for job_id in left - set(accounted)})
            found.update({job_id: JobState(GONE, reason=f"left the queue; sacct still says {state.describe()}",
                                           source="gone")
                          for job_id, state in accounted.items() if job_id in left and not state.ended})
    return found, notes
