"""Parallel map over files with a progress bar (stage work: rendering stand-ins, extracting features)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Worker processes to use by default: the CPU cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def progress_bar(transient: bool = False) -> Progress:
    """A rich progress bar showing description, bar, done/total and time remaining (to stderr)."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        transient=transient,
    )


def parallel_map(
    function: Callable[[T], R],
    items: Sequence[T],
    workers: int,
    description: str,
    show_progress: bool = True,
    initializer: Callable[[], None] | None = None,
) -> list[R]:
    """``[function(item) for item in items]`` in ``workers`` processes, order kept, with a progress bar.

    Worker processes are spawned (not forked), so a parent that already runs torch's thread pool is safe.
    ``workers <= 1`` runs in this process. An exception in ``function`` propagates unchanged.
    """
    results: list[R] = []
    with progress_bar() if show_progress else _Silent() as progress:
        task = progress.add_task(description, total=len(items))
        if workers <= 1 or len(items) <= 1:
            if initializer is not None:
                initializer()
            for item in items:
                results.append(function(item))
                progress.advance(task)
            return results
        context = multiprocessing.get_context("spawn")
        chunk = max(1, min(16, len(items) // (workers * 8)))
        with ProcessPoolExecutor(workers, mp_context=context, initializer=initializer) as pool:
            for result in pool.map(function, items, chunksize=chunk):
                results.append(result)
                progress.advance(task)
    return results


class _Silent:
    """Stands in for a progress bar when none is wanted."""

    def __enter__(self) -> _Silent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, *args: object, **kwargs: object) -> int:
        return 0

    def advance(self, *args: object) -> None:
        return None

