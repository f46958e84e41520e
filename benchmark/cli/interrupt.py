"""Ctrl-C and ``SIGTERM`` in a command: typer turns a ``KeyboardInterrupt`` into a silent exit 130, so
long-running commands turn it into :class:`~irbench.errors.Interrupted`, which ``irbench.cli.main`` prints
(the message names where it stopped, e.g. the epoch) before exiting 130.

``SIGTERM`` (what ``scancel``, Kubernetes and most schedulers send first) takes the same path: while an
interruptible command runs, it raises :class:`~irbench.errors.Terminated` (a ``KeyboardInterrupt``) where it
lands, so the work folder is kept and the same command resumes; the command exits 143 (128 + 15). Only the
command line installs that handler: library calls (``irbench.api``) and submitit jobs, where ``SIGTERM``
belongs to submitit and Slurm, leave the process's signals as they are."""

from __future__ import annotations

import contextlib
import functools
import signal
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

from irbench.errors import Interrupted, Terminated

F = TypeVar("F", bound=Callable)

INTERRUPTED = "interrupted; run the same command again to resume"
TERMINATED = "terminated (SIGTERM); run the same command again to resume"
SIGINT_STATUS, SIGTERM_STATUS = 128 + signal.SIGINT, 128 + signal.SIGTERM  # 130, 143


@contextlib.contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """For the duration, ``SIGTERM`` raises :class:`~irbench.errors.Terminated` where it lands (once: further
    ones while the command stops are ignored); the previous handler comes back afterwards.

    Nothing changes outside the main thread or where ``SIGTERM`` does not have its default action (ignored by
    the parent, ``nohup``-style, or owned by someone else, e.g. submitit). During training Lightning chains
    its own ``SIGTERM`` notifier before this handler, so the ``Terminated`` raised here reaches Lightning as
    a ``KeyboardInterrupt``, which it shuts down gracefully as for Ctrl-C."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) \
            is not signal.SIG_DFL:
        yield
        return
    received = False

    def terminate(signum, frame) -> None:
        nonlocal received
        if received:
            return
        received = True
        raise Terminated(TERMINATED)

    signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def as_interrupted(error: KeyboardInterrupt) -> Interrupted:
    """The command line's ``Interrupted`` for ``error``: its message (or the default), exit 143 after
    ``SIGTERM``, 130 after Ctrl-C."""
    if isinstance(error, Terminated):
        return Interrupted(str(error) or TERMINATED, status=SIGTERM_STATUS)
    return Interrupted(str(error) or INTERRUPTED, status=SIGINT_STATUS)


def interruptible(command: F) -> F:
    """Wrap a typer command so that Ctrl-C and ``SIGTERM`` surface as ``Interrupted`` with the interruption's
    message (``SIGTERM`` is turned into ``Terminated`` while the command runs)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            with sigterm_interrupts():
                return command(*args, **kwargs)
        except KeyboardInterrupt as error:
            raise as_interrupted(error) from error

    return wrapper  # type: ignore[return-value]
