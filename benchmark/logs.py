"""irbench's messages go through :mod:`logging`: every module logs to its own logger (``irbench.run.runner``,
``irbench.run.prepare``, ``irbench.run.callbacks``, ...) under the ``irbench`` logger, the convention of libraries
(the Python logging HOWTO, "Configuring logging for a library").

A library user sees them by configuring logging as usual (``logging.basicConfig(level=logging.INFO)``, or a
handler on ``logging.getLogger("irbench")``); irbench itself never configures the root logger. The command
line shows INFO and above on standard error through rich (:func:`messages_to`), and the sweep's inline
executor shows them in its progress view.

Levels: INFO for what a user wants to know while a run goes on (resuming from epoch 3 of 10, one line per
epoch when no progress bar is drawn, padded windows), WARNING for something that went wrong and was dealt
with (a damaged cache entry removed and recomputed, an unreadable checkpoint set aside).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

LOGGER_NAME = "irbench"
logging.getLogger(LOGGER_NAME).addHandler(logging.NullHandler())


class _Forward(logging.Handler):
    """A handler that hands each record's message and level to ``show``."""

    def __init__(self, show: Callable[[str, int], None], level: int):
        super().__init__(level)
        self.show = show

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.show(record.getMessage(), record.levelno)
        except Exception:  # a display that fails must never fail the run
            self.handleError(record)


@contextmanager
def messages_to(show: Callable[[str, int], None], level: int = logging.INFO) -> Iterator[None]:
    """Within the block, hand every irbench message at ``level`` or above to ``show(message, levelno)``.

    The ``irbench`` logger's level is lowered to ``level`` for the block when it was higher (or unset) and
    restored afterwards; other loggers and the root logger are left alone."""
    logger = logging.getLogger(LOGGER_NAME)
    handler = _Forward(show, level)
    previous = logger.level
    if previous == logging.NOTSET or previous > level:
        logger.setLevel(level)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def message_console(stderr: bool = True):
    """A rich ``Console`` for the command line's messages and results, on standard error (or output).

    On a terminal, rich wraps text at the terminal's width between words. Anywhere else (a log file, a pipe,
    a Slurm job's output) rich would wrap at 80 columns, breaking a result line mid-sentence; there this
    console never wraps text (``soft_wrap``), so each message is one line of the log. Tables are laid out at
    the console's width either way."""
    from rich.console import Console

    console = Console(stderr=stderr)
    console.soft_wrap = not console.is_terminal
    return console
