"""User-facing errors: the command line prints their message, never a traceback."""

from __future__ import annotations

from pathlib import Path


class IrbenchError(Exception):
    """Base class of every error that irbench reports to a user as a plain message."""


class DataNotFoundError(IrbenchError):
    """A dataset is missing or incomplete under ``--data-home``; the message says how to get it."""


class DatasetLayoutError(IrbenchError):
    """A dataset file exists but breaks the official layout (bad name, unknown label, malformed line)."""

    def __init__(self, path: Path | str, problem: str, line: int | None = None):
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = Path(path)
        self.line = line


class AudioDecodeError(IrbenchError):
    """An audio file cannot be read or decoded; names the file and the decoder's reason."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"cannot read audio file {path}: {reason}")
        self.path = Path(path)
        self.reason = reason


class UnknownNameError(IrbenchError, KeyError):
    """A task, baseline or other registered name is unknown; the message suggests the nearest names."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class RecordExistsError(IrbenchError):
    """A run record already exists and ``--overwrite`` was not given."""


class ConfigError(IrbenchError):
    """A ``--config key=value`` override or a baseline configuration is invalid."""


class TrainingDivergedError(IrbenchError):
    """The training loss became NaN or infinite; the message names the epoch and the setting to change."""


class TrainingInterrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl-C, a signal); the message names the epoch and says how to resume."""


class Terminated(KeyboardInterrupt):
    """``SIGTERM`` arrived (``scancel``, Kubernetes, most schedulers send it first). The command line's handler
    (:func:`irbench.cli.interrupt.sigterm_interrupts`) raises it where the signal lands, as Python raises
    ``KeyboardInterrupt`` for Ctrl-C, so the same path keeps the work folder and the rerun resumes; the command
    exits 143 (128 + 15)."""


class TrainingTerminated(TrainingInterrupted, Terminated):
    """Training was stopped by ``SIGTERM``; the message names the epoch and says how to resume."""


class OutputError(IrbenchError):
    """An output folder (results, cache) cannot be created or written: the message names the folder, what was
    being written and the system's reason (disk full, permissions, a file in the way)."""


class RecordLockedError(IrbenchError):
    """Another irbench process is writing the same run record right now."""


class Interrupted(IrbenchError):
    """A command was interrupted; the message says where it stopped and how to resume. ``status`` is the exit
    status: 130 after Ctrl-C, 143 after ``SIGTERM`` (128 + the signal's number, as a shell reports it)."""

    def __init__(self, message: str = "", status: int = 130):
        super().__init__(message)
        self.status = status


class UnsafeArchiveError(IrbenchError):
    """A downloaded archive holds a member that would be written outside the data folder."""
