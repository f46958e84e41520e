"""The sweep's progress view: one line per finished cell, then cells done / total, running, failed and an
estimate of the time left from the cells finished so far.

The estimate is the mean wall time of the cells this sweep finished (done or failed) times the cells still to
finish, divided by the jobs that run at once; a job's first cell includes the data preparation its seeds
share, and queueing on a cluster is not counted, so it is an estimate, labelled as one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from irbench.sweep.cells import Cell
from irbench.sweep.job import CellOutcome

STATUS_WORDS = {"done": "done", "failed": "FAILED", "kept": "kept", "busy": "busy"}


def plural(count: int, word: str) -> str:
    """``1 job``, ``2 jobs``, ``0 cells``."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def duration(seconds: float) -> str:
    """``42 s``, ``3.5 min`` or ``2.1 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


class ProgressView:
    """Counts the cells of a sweep as they start and end, and prints a line for each event.

    Parameters
    ----------
    cells: the cells this sweep runs (not those it skips).
    parallel: how many jobs run at once (for the estimate).
    show: prints one line (the command line's console; a list's ``append`` in tests).
    clock: seconds, monotonic (``time.monotonic``).

    ``active`` names the cells in jobs not yet ended: ``running`` by default; an executor whose jobs may wait
    in a queue sets ``queued or running``.
    """

    def __init__(self, cells: list[Cell], parallel: int, show: Callable[[str], None],
                 clock: Callable[[], float] = time.monotonic):
        self.active = "running"
        self.total = len(cells)
        self.parallel = max(1, parallel)
        self.show = show
        self.clock = clock
        self.start = clock()
        self.running: set[Cell] = set()
        self.outcomes: dict[Cell, CellOutcome] = {}

    def started(self, cells: list[Cell]) -> None:
        """``cells`` are now running (or queued in a running job)."""
        self.running.update(cells)

    def finished(self, outcome: CellOutcome) -> None:
        """A cell ended; prints its line and the summary."""
        self.running.discard(outcome.cell)
        self.outcomes[outcome.cell] = outcome
        where = f" (log: {outcome.log})" if outcome.status == "failed" and outcome.log else ""
        took = f" in {duration(outcome.seconds)}" if outcome.seconds else ""
        self.show(f"{STATUS_WORDS[outcome.status]} {outcome.cell.label}{took}: {outcome.message}{where}")
        self.show(self.summary())

    def count(self, status: str) -> int:
        """Cells that ended with ``status`` (``done``, ``failed``, ``kept``, ``busy``)."""
        return sum(outcome.status == status for outcome in self.outcomes.values())

    def estimate(self) -> float | None:
        """Seconds left, from the mean time of finished cells; ``None`` before any finished."""
        timed = [o.seconds for o in self.outcomes.values() if o.status in ("done", "failed") and o.seconds > 0]
        if not timed:
            return None
        left = self.total - len(self.outcomes)
        return sum(timed) / len(timed) * left / self.parallel

    def summary(self) -> str:
        """``[sweep] 3/8 done, 2 running, 1 failed, 2 waiting; about 4.0 min left (1.9 min per cell over 3)``."""
        finished = len(self.outcomes)
        parts = [f"{self.count('done') + self.count('kept')}/{self.total} done", f"{len(self.running)} {self.active}",
                 f"{self.count('failed')} failed"]
        if self.count("busy"):
            parts.append(f"{self.count('busy')} held by another process")
        waiting = self.total - finished - len(self.running)
        if waiting > 0:
            parts.append(f"{waiting} waiting")
        line = "[sweep] " + ", ".join(parts)
        left = self.estimate()
        timed = [o.seconds for o in self.outcomes.values() if o.status in ("done", "failed") and o.seconds > 0]
        if left is not None and finished < self.total:
            line += (f"; about {duration(left)} left ({duration(sum(timed) / len(timed))} per cell over "
                     f"{len(timed)}, {self.parallel} at once)")
        elif finished == self.total:
            line += f"; finished in {duration(self.clock() - self.start)}"
        return line
