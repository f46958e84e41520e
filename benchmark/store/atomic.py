"""Atomic file writes: a reader never sees a half-written cache entry, record or audio file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    On an exception the temporary file is removed and ``path`` is left as it was. The temporary name keeps
    ``path``'s suffix so writers that infer a format from it (soundfile, numpy) still do.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".partial{path.suffix}")
    os.close(handle)
    os.chmod(temporary, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")


def atomic_write(path: Path, writer: Callable[[Path], None]) -> None:
    """Call ``writer(temporary_path)`` and move the result to ``path`` atomically."""
    with atomic_path(path) as temporary:
        writer(temporary)


def atomic_group(writers: list[tuple[Path, Callable[[Path], None]]]) -> None:
    """Write several files so that either all of them replace their targets or none does.

    Each ``writer(temporary_path)`` writes one file beside its target; only when every one has succeeded are
    they moved into place, in the given order (put the file that marks completion, e.g. a run record, last).
    On an error every temporary file is removed and every target is left as it was.
    """
    done: list[tuple[Path, Path]] = []
    try:
        for path, writer in writers:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                                 suffix=f".partial{path.suffix}")
            os.close(handle)
            os.chmod(temporary, 0o666 & ~_umask())
            done.append((Path(temporary), path))
            writer(Path(temporary))
    except BaseException:
        for temporary, _ in done:
            temporary.unlink(missing_ok=True)
        raise
    for temporary, path in done:
        os.replace(temporary, path)


def remove_partial_files(folder: Path, stem: str) -> list[Path]:
    """Remove ``.<stem>.*.partial*`` files left in ``folder`` by writes that died (``kill -9``); returns them.

    Call it only while holding the lock of what ``stem`` names, so no live writer's file is removed."""
    removed = []
    for leftover in Path(folder).glob(f".{stem}.*.partial*"):
        leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed
