"""Parallel map over files with a progress bar (stage work: rendering stand-ins, extracting features)."""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
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


def die_with_parent(parent: int) -> None:
    """Ask Linux to end this process when its parent dies (``prctl(PR_SET_PDEATHSIG, SIGTERM)``), so a worker
    never outlives a run killed with ``kill -9``; elsewhere nothing happens. ``parent`` is the parent's pid as
    the parent saw it: a worker whose parent already died while it started exits at once."""
    if os.getppid() != parent:
        os._exit(1)
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def progress_bar(transient: bool = False, disable: bool = False) -> Progress:
    """A rich progress bar showing description, bar, done/total and time remaining (to stderr); ``disable``
    gives one that shows nothing (``--quiet``)."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        transient=transient, disable=disable,
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

    Worker processes are spawned (not forked), so a parent that already runs torch's thread pool is safe;
    they end when this process dies (``die_with_parent``), and ``initializer`` runs in each of them (never in
    this process). ``workers <= 1`` runs in this process. An exception in ``function`` propagates unchanged.
    """
    results: list[R] = []
    with progress_bar(disable=not show_progress) as progress:
        task = progress.add_task(description, total=len(items))
        if workers <= 1 or len(items) <= 1:
            for item in items:
                results.append(function(item))
                progress.advance(task)
            return results
        context = multiprocessing.get_context("spawn")
        chunk = max(1, min(16, len(items) // (workers * 8)))
        start = functools.partial(_start_worker, initializer, os.getpid())
        with ProcessPoolExecutor(workers, mp_context=context, initializer=start) as pool:
            for result in pool.map(function, items, chunksize=chunk):
                results.append(result)
                progress.advance(task)
    return results


def _start_worker(initializer: Callable[[], None] | None, parent: int) -> None:
    die_with_parent(parent)
    if initializer is not None:
        initializer()
