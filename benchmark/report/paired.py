"""Is row A better than the best row on this test set? A paired bootstrap over the same test units.

Method (paired percentile bootstrap; Efron & Tibshirani 1993, ch. 13; the cluster variant resamples whole
groups, as Field & Welsh 2007 advise when clips of one recording are correlated):

1. the test units are the predictions files' ``group`` column (an IRMAS track, a MusicNet recording, a
   Medley-solos-DB song, an OpenMIC FMA track; a clip is its own unit in files without the column);
2. ``RESAMPLES`` times, draw as many units as there are, with replacement (seeded, so reproducible);
   every clip of a drawn unit enters with its unit's multiplicity, and the SAME draw scores every row;
3. in each resample, each row's main score is the mean over the row's seeds, so the interval reflects
   test-set sampling only; the difference to the best row is taken inside the resample;
4. the 2.5th and 97.5th percentiles of the differences are the 95% interval. The spread over seeds is
   reported separately: the sample standard deviation, over the seeds both rows ran, of the per-seed
   difference on the whole test set.

Scores are recomputed from the predictions files with
:func:`irbench.evaluation.metrics.headline_metric` (whole test set) and its weighted, vectorised
equivalent (:mod:`irbench.report.weighted`) for the resamples.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import numpy as np

from irbench.predictions_file import RECOMPUTABLE, ClipTable, PredictionsError, read_clip_table
from irbench.report.collect import Comparison, Leaderboard, PairedInfo, Row
from irbench.report.task_info import task_info
from irbench.report.weighted import weighted_metric

RESAMPLES = 1000
LEVEL = 0.95
SEED = 0
TOLERANCE = {"map": 1e-3}
"""Largest accepted gap between a record's score and the one recomputed from its file (``map`` ranks
scores rounded to 6 decimals in the file; decision-based scores must match exactly)."""
EXACT = 1e-9


def group_weights(groups: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """Clip weights of a cluster bootstrap: ``(resamples, n_clips)`` multiplicities.

    Parameters
    ----------
    groups: ``(n_clips,)`` unit of each clip.
    resamples, seed: number of resamples and the generator's seed (``numpy.random.default_rng``).
    """
    _, unit_of_clip = np.unique(groups.astype(str), return_inverse=True)
    n_units = int(unit_of_clip.max()) + 1 if len(unit_of_clip) else 0
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_units, size=(resamples, n_units))
    offsets = draws + np.arange(resamples)[:, None] * n_units
    counts = np.bincount(offsets.ravel(), minlength=resamples * n_units).reshape(resamples, n_units)
    return counts[:, unit_of_clip].astype(np.float64)


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
    weights = group_weights(reference.groups, resamples, seed)
    n_units = len(set(reference.groups.tolist()))
    unit = _unit(board, reference)
    board.paired = PairedInfo(resamples=resamples, unit=unit, n_units=n_units)

    def boot(tables: list[ClipTable]) -> np.ndarray:
        """``(resamples,)`` main score of a row: mean over its seeds inside each resample."""
        return np.mean([weighted_metric(metric, weights, t) for t in tables], axis=0)

    best_boot = boot([t.reordered(reference.clip_ids) for t in best_tables])
    best_mean = statistics.fmean(best_values)
    best_by_seed = dict(zip(board.best.seeds, best_values))
    for row in board.rows:
        if row is board.best:
            row.comparison = Comparison(0.0, 0.0, 0.0, None, 0, reference=True)
            continue
        tables, why = _tables(row, board.labels, reference.clip_ids, warn)
        values = _check(row, tables, metric, warn) if tables else None
        if not tables or values is None:
            row.comparison_note = why or "predictions disagree with the record"
            continue
        differences = boot(tables) - best_boot
        low, high = np.percentile(differences, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
        shared = [v - best_by_seed[s] for s, v in zip(row.seeds, values) if s in best_by_seed]
        row.comparison = Comparison(
            difference=statistics.fmean(values) - best_mean, low=float(low), high=float(high),
            seed_std=statistics.stdev(shared) if len(shared) > 1 else None, n_seed_pairs=len(shared),
        )


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

