"""Checks that run before any expensive stage: seeds, worker counts, and folders that must be writable.

A mistake found after loading, hashing and extracting a dataset costs minutes; these checks cost
milliseconds, so they run first and name what is wrong.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from irbench.errors import ConfigError, OutputError

MAX_SEED = 2**32 - 1  # numpy.random.seed and lightning.seed_everything accept 0 .. 2**32 - 1


def check_seed(seed: int) -> int:
    """``seed`` if it lies in ``0 .. 2**32 - 1``. Raises ``ConfigError`` naming the range otherwise."""
    if not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ConfigError(f"seed {seed!r} is outside 0 .. {MAX_SEED} (what NumPy and PyTorch accept)")
    return seed


def check_workers(workers: int) -> int:
    """``workers`` if it is at least 1. Raises ``ConfigError`` otherwise."""
    if not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers must be at least 1, got {workers!r}")
    return workers


def check_threads(threads: int) -> int:
    """``threads`` (the CPU thread count of training and evaluation) if it is a whole number from 1 to 256.
    Raises ``ConfigError`` otherwise."""
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 256:
        raise ConfigError(f"--threads must be a whole number from 1 to 256, got {threads!r}")
    return threads


def writable_folder(path: Path, what: str) -> Path:
    """Create ``path`` (with its parents) if needed and check that a file can be written in it.

    Parameters
    ----------
    path: the folder (``--results-dir``, ``--cache-dir``).
    what: what goes there, for the message ("run records", "feature cache").

    Raises
    ------
    OutputError: the folder cannot be created (a file is in the way, no permission) or written (read-only,
        disk full); names the folder and the system's reason.
    """
    folder = Path(path).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".irbench-write-check-"):
            pass
    except OSError as error:
        raise OutputError(f"cannot write the {what} to {folder}: {error.strerror or error}") from error
    return folder
