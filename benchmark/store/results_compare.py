""":meth:`irbench.store.results.Results.compare`: two rows of records compared by the report's own paired bootstrap.

Each side becomes a leaderboard row exactly as the report builds it (:func:`irbench.report.collect.leaderboards`);
the two rows go on one board with ``b`` first, as the reference (the report's best row), and
:func:`irbench.report.paired.compare` fills ``a``'s comparison: the same function, reading the same
predictions files, with the same checks, so the interval equals the report's whenever ``b`` is the report's
best row.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from irbench.errors import IrbenchError
from irbench.store.results_frame import Entry, MixedResultsError, refuse_mixed

__all__ = ["PairedComparison", "paired"]


@dataclass(frozen=True)
class PairedComparison:
    """Row ``a`` minus row ``b`` on the same test units: the report's paired bootstrap
    (:func:`irbench.report.paired.compare`, with ``b`` as the reference row).

    a, b: the rows' labels (``vgg``, ``vgg (max_epochs=10)``). task, metric: what was compared.
    difference: mean over a's seeds minus mean over b's seeds of ``metric`` on the whole test set.
    low, high: the ``level`` percentile interval of the difference over ``resamples`` draws of whole test
        units (``unit``: track, recording, song, clip; ``n_units`` of them), each row's seeds averaged inside
        each draw, so it reflects test-set sampling only.
    seed_std: sample standard deviation of the per-seed difference over the ``n_seed_pairs`` seeds both ran
        (``None`` with fewer than two): the seed spread, reported apart from the interval.
    """

    a: str
    b: str
    task: str
    metric: str
    difference: float
    low: float
    high: float
    level: float
    seed_std: float | None
    n_seed_pairs: int
    resamples: int
    unit: str
    n_units: int

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval excludes 0: a and b differ beyond test-set sampling."""
        return self.low > 0 or self.high < 0

    def __str__(self) -> str:
        from irbench.report.paired import plural

        spread = f"; seed std {self.seed_std:.4f} over {self.n_seed_pairs} seeds" if self.seed_std is not None else ""
        return (f"{self.task} {self.metric}: {self.a} - {self.b} = {self.difference:+.4f}, "
                f"{self.level:.0%} interval [{self.low:+.4f}, {self.high:+.4f}] ({self.resamples} resamples of "
                f"{plural(self.unit, self.n_units)}){spread}")




def _row(entries: Sequence[Entry], given: Any, side: str, allow_mixed: bool):
    """The one leaderboard of a side, its one row and the row's name (``vgg``, ``vgg (max_epochs=10)``, by
    the label the side's :class:`~irbench.store.results.Results` gives its configuration). Raises ``IrbenchError`` /
    ``MixedResultsError``."""
    from irbench.report.collect import Run, leaderboards

    if not entries:
        raise IrbenchError(f"compare: {side} = {given!r} matches no record")
    rows = {(e.record.task, e.record.baseline, e.configuration.digest): e.label for e in entries}
    if len(rows) > 1:
        listed = ", ".join(f"{task}/{baseline} {label!r} ({digest[:8]})" for (task, baseline, digest), label in rows.items())
        raise IrbenchError(f"compare: {side} = {given!r} matches {len(rows)} rows ({listed}); name one, e.g. "
                           f"{{'baseline': ..., 'configuration': ...}}")
    if len({(e.record.task_version, e.record.stand_in) for e in entries}) > 1:
        raise MixedResultsError(f"compare: {side} = {given!r} holds records of several task versions or of both "
                                "stand-in and real data; select one (.select(task_version=...))")
    if not allow_mixed:
        refuse_mixed(entries, "compare")
    missing = [e for e in entries if e.path is None]
    if missing:
        raise IrbenchError(f"compare: {side} holds records without their files; the paired comparison reads the "
                           "predictions beside each record (load them with irbench.load_results)")
    (board,) = leaderboards([Run(e.record, e.path) for e in entries])
    label = entries[0].label
    return board, board.rows[0], entries[0].record.baseline + ("" if label == "default" else f" ({label})")


def paired(entries_a: Sequence[Entry], entries_b: Sequence[Entry], given: tuple[Any, Any], metric: str | None,
           allow_mixed: bool) -> PairedComparison:
    """``a`` minus ``b`` (see :meth:`irbench.store.results.Results.compare`, which documents the errors)."""
    from irbench.store.predictions_file import RECOMPUTABLE
    from irbench.report.collect import Leaderboard
    from irbench.report.paired import LEVEL, compare

    board_a, row_a, name_a = _row(entries_a, given[0], "a", allow_mixed)
    board_b, row_b, name_b = _row(entries_b, given[1], "b", allow_mixed)
    if board_a.task != board_b.task:
        raise IrbenchError(f"compare: a is a row of task {board_a.task}, b of task {board_b.task}")
    if (row_a.baseline, row_a.digest) == (row_b.baseline, row_b.digest) and board_a.task_version == board_b.task_version:
        raise IrbenchError(f"compare: a and b are the same row ({name_a})")
    if not allow_mixed:
        refuse_mixed([*entries_a, *entries_b], "compare")
    if board_a.labels != board_b.labels:
        raise MixedResultsError(f"compare: {name_a} and {name_b} score different classes")
    metric = metric or board_b.main_score
    if metric not in RECOMPUTABLE:
        raise IrbenchError(f"compare: {metric} cannot be recomputed from predictions files (these can: "
                           f"{', '.join(sorted(RECOMPUTABLE))})")
    lacking = [str(e.path) for e in [*entries_a, *entries_b] if metric not in e.record.metrics]
    if lacking:
        raise IrbenchError(f"compare: {metric} is missing from {', '.join(lacking)}")
    board = Leaderboard(board_b.task, board_b.task_version, board_b.stand_in, metric, [metric], board_b.labels,
                        [row_b, row_a])
    problems: list[str] = []
    compare(board, problems.append)
    if board.paired is not None and board.paired.note:
        raise IrbenchError(f"compare: {name_a} - {name_b}: {board.paired.note}"
                           + "".join(f"; {p}" for p in problems))
    if row_a.comparison is None:
        raise IrbenchError(f"compare: no paired comparison of {name_a} with {name_b}: "
                           f"{row_a.comparison_note or 'unknown reason'}" + "".join(f"; {p}" for p in problems))
    for problem in problems:
        warnings.warn(problem, UserWarning, stacklevel=3)
    found, info = row_a.comparison, board.paired
    return PairedComparison(
        a=name_a, b=name_b, task=board.task, metric=metric, difference=found.difference, low=found.low,
        high=found.high, level=LEVEL, seed_std=found.seed_std, n_seed_pairs=found.n_seed_pairs,
        resamples=info.resamples, unit=info.unit, n_units=info.n_units)

