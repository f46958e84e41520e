"""Ctrl-C in a command: typer turns a ``KeyboardInterrupt`` into a silent exit 130, so long-running commands
turn it into :class:`~irbench.errors.Interrupted`, which ``irbench.cli.main`` prints (the message names
where it stopped, e.g. the epoch) before exiting 130."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

from irbench.errors import Interrupted

F = TypeVar("F", bound=Callable)


def interruptible(command: F) -> F:
    """Wrap a typer command so that Ctrl-C surfaces as ``Interrupted`` with the interruption's message."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except KeyboardInterrupt as error:
            raise Interrupted(str(error) or "interrupted; run the same command again to resume") from error

    return wrapper  # type: ignore[return-value]
