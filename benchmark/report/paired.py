"""Is row A better than the best row on this test set? The report's paired bootstrap: it gathers each row's
test tables from the predictions files, checks them against the records, and fills the leaderboard.

The statistics live in :mod:`irbench.evaluation.resampling` (method, references and the meaning of the
interval there): the test units are the predictions files' ``group`` column (an IRMAS track, a MusicNet
recording, a Medley-solos-DB song, an OpenMIC FMA track; a clip is its own unit in files without the column),
``RESAMPLES`` seeded draws of whole units score every row, each row's seeds are averaged inside a resample,
and the seed spread is reported apart. Whole-test-set scores are recomputed with
:func:`irbench.evaluation.metrics.headline_metric` (``ClipTable.headline``) and must match the records.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from irbench.evaluation.resampling import LEVEL, RESAMPLES, SEED, group_draws, paired_difference, seed_mean
from irbench.store.predictions_file import RECOMPUTABLE, ClipTable, PredictionsError, read_clip_table
from irbench.report.collect import Comparison, Leaderboard, PairedInfo, Row
from irbench.report.task_info import task_info

__all__ = ["LEVEL", "RESAMPLES", "SEED", "compare", "plural"]
TOLERANCE = {"map": 1e-3}
"""Largest accepted gap between a record's score and the one recomputed from its file (``map`` ranks
scores rounded to 6 decimals in the file; decision-based scores must match exactly)."""
EXACT = 1e-9


def _tables(row: Row, labels: list[str], clip_ids: np.ndarray | None, warn: Callable[[str], None]):
    tables = []
    for run in row.runs:
        if not run.predictions.exists():
            return None, f"no predictions file beside {run.path.name}"
        try:
            table = read_clip_table(run.predictions, labels)
        except (OSError, PredictionsError) as error:
            warn(f"{run.predictions}: {error}; no paired comparison for {row.label}")
            return None, "predictions file unreadable"
        if clip_ids is not None:
            table = table.reordered(clip_ids)
            if table is None:
                return None, "other test clips than the best row"
        tables.append(table)
    return tables, ""


def _check(row: Row, tables: list[ClipTable], metric: str, warn: Callable[[str], None]) -> list[float] | None:
    """Whole-test-set scores of each run, recomputed; ``None`` (with a warning) when one disagrees with
    its record."""
    values = []
    for run, table in zip(row.runs, tables):
        value = table.headline(metric)
        recorded = run.record.metrics[metric]
        if abs(value - recorded) > TOLERANCE.get(metric, EXACT):
            warn(f"{run.predictions}: {metric} recomputed from the file is {value:.6f}, the record says "
                 f"{recorded:.6f}; no paired comparison for {row.label}")
            return None
        values.append(value)
    return values


def compare(board: Leaderboard, warn: Callable[[str], None], resamples: int = RESAMPLES, seed: int = SEED) -> None:
    """Fill ``row.comparison`` (or ``row.comparison_note``) of every row and ``board.paired``.

    Rows are compared with ``board.best``. Nothing is raised: a row without readable predictions, with
    other test clips, or whose file disagrees with its record gets a note instead.
    """
    metric = board.main_score
    if metric not in RECOMPUTABLE:
        board.paired = PairedInfo(note=f"no paired comparison for {metric} (recomputed: {', '.join(sorted(RECOMPUTABLE))})")
        return
    best_tables, why = _tables(board.best, board.labels, None, warn)
    best_values = _check(board.best, best_tables, metric, warn) if best_tables else None
    if not best_tables or best_values is None:
        board.paired = PairedInfo(note=f"no paired comparison: the best row's predictions cannot be used ({why or 'they disagree with its record'})")
        return
    reference = best_tables[0]
    for table in best_tables[1:]:
        if set(table.clip_ids.tolist()) != set(reference.clip_ids.tolist()):
            board.paired = PairedInfo(note="no paired comparison: the best row's seeds have different test clips")
            return
    weights = group_draws(reference.groups, resamples, seed)  # one draw of units scores every row
    n_units = len(set(reference.groups.tolist()))
    board.paired = PairedInfo(resamples=resamples, unit=_unit(board, reference), n_units=n_units)
    best_scores = list(zip(board.best.seeds, best_values))
    best_boot = seed_mean(metric, weights, [t.reordered(reference.clip_ids) for t in best_tables])
    for row in board.rows:
        if row is board.best:
            row.comparison = Comparison(0.0, 0.0, 0.0, None, 0, reference=True)
            continue
        tables, why = _tables(row, board.labels, reference.clip_ids, warn)
        values = _check(row, tables, metric, warn) if tables else None
        if not tables or values is None:
            row.comparison_note = why or "predictions disagree with the record"
            continue
        paired = paired_difference(list(zip(row.seeds, values)), seed_mean(metric, weights, tables),
                                   best_scores, best_boot, LEVEL)
        row.comparison = Comparison(difference=paired.difference, low=paired.low, high=paired.high,
                                    seed_std=paired.seed_std, n_seed_pairs=paired.n_seed_pairs)


def _unit(board: Leaderboard, reference: ClipTable) -> str:
    """The bootstrap unit's name: as the best run's record says, else ``clip`` (no group column), else the
    task's ``test_group_unit``, else ``group``."""
    interval = board.best.runs[0].record.confidence_intervals.get(board.main_score, {})
    unit = interval.get("unit")
    if isinstance(unit, str) and unit:
        return unit
    if not reference.has_groups:
        return "clip"
    return task_info(board.task).group_unit or "group"


def plural(unit: str, n: int) -> str:
    """``208 tracks``, ``1 song``: a count of bootstrap units in words."""
    return f"{n} {unit}" if n == 1 or not unit or unit.endswith("s") else f"{n} {unit}s"

