"""The vectorised cluster bootstrap: main scores under clip weights for many resamples at once, and the
paired difference of two rows with its percentile interval (the engine behind the report's paired
comparisons; :func:`irbench.evaluation.bootstrap.bootstrap_interval` is the one behind a record's interval).

A resample is a vector of clip multiplicities (how often each clip was drawn, :func:`group_weights` draws
whole units); the score of the resample equals :func:`irbench.evaluation.metrics.headline_metric` on the test
set with every clip repeated that many times, so the per-class formulas stay those of
:mod:`irbench.evaluation.metrics` (absent-class rule included). With all weights 1 it equals the
whole-test-set score (the tests check both). Each scoring function takes ``weights``
``(n_resamples, n_clips)``, or the same draws as :class:`Draws` (unit multiplicities: sums are taken per
unit, and ranked clips gather whole rows, which is what keeps a 1,000-record report fast), and a
:class:`ScoredClips` (clip arrays ``(n_clips, n_classes)``) and returns ``(n_resamples,)``; both give
identical numbers (the counts are exact integers either way).

Paired comparison (paired percentile bootstrap; Efron & Tibshirani 1993, ch. 13; the cluster variant as
Field & Welsh 2007 advise for correlated clips): the SAME draw scores both rows; in each resample a row's
score is the mean over its seeds, so the interval reflects test-set sampling only; the difference is taken
inside the resample and its 2.5th and 97.5th percentiles are the 95% interval. The spread over seeds is
reported apart: the sample standard deviation, over the seeds both rows ran, of the per-seed difference on the
whole test set.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from irbench.evaluation.bootstrap import LEVEL, RESAMPLES
from irbench.evaluation.metrics import f1_from_counts, fast_average_precision, macro_figures

SEED = 0
"""Default seed of :func:`group_weights` (``numpy.random.default_rng``)."""


class ScoredClips(Protocol):
    """A test set's decisions and scores (``irbench.store.predictions_file.ClipTable`` is one).

    targets, predictions, mask: ``(n_clips, n_classes)`` 0/1 (mask 1 where the pair was annotated).
    scores: ``(n_clips, n_classes)`` aggregated class scores in [0, 1].
    decision_scores(): ``(n_clips, n_classes)`` scores whose arg-max is the decided class.
    """

    targets: np.ndarray
    predictions: np.ndarray
    scores: np.ndarray
    mask: np.ndarray

    def decision_scores(self) -> np.ndarray: ...


class Draws:
    """Cluster-bootstrap resamples as unit multiplicities: ``counts`` ``(n_resamples, n_units)`` float64 (how
    often each unit was drawn) and ``unit_of_clip`` ``(n_clips,)`` int (each clip's unit), so sums over
    weighted clips are taken per unit first (exact: the counts are integers).

    ``Draws.of(weights)`` wraps plain clip weights ``(n_resamples, n_clips)`` (every clip its own unit), so
    every scoring function accepts either.
    """

    def __init__(self, counts: np.ndarray, unit_of_clip: np.ndarray | None = None) -> None:
        self.counts = np.asarray(counts, dtype=np.float64)
        self.unit_of_clip = None if unit_of_clip is None else np.asarray(unit_of_clip, dtype=np.int64)
        self._units_first: np.ndarray | None = None

    @classmethod
    def of(cls, weights: np.ndarray | Draws) -> Draws:
        """``weights`` as draws: unchanged when already :class:`Draws`, else clip weights
        ``(n_resamples, n_clips)`` with each clip its own unit."""
        return weights if isinstance(weights, Draws) else cls(np.atleast_2d(weights))

    def __len__(self) -> int:
        return len(self.counts)

    @property
    def weights(self) -> np.ndarray:
        """Clip weights ``(n_resamples, n_clips)`` float64: every clip gets its unit's multiplicity."""
        return self.counts if self.unit_of_clip is None else self.counts[:, self.unit_of_clip]

    def sums(self, values: np.ndarray) -> np.ndarray:
        """``weights @ values`` for clip values ``(n_clips, k)`` (0/1 or counts): ``(n_resamples, k)`` float64,
        summed per unit first."""
        values = np.asarray(values, dtype=np.float64)
        if self.unit_of_clip is None:
            return self.counts @ values
        per_unit = np.zeros((self.counts.shape[1], values.shape[1]))
        np.add.at(per_unit, self.unit_of_clip, values)
        return self.counts @ per_unit

    def units_first(self) -> np.ndarray:
        """The counts transposed, ``(n_units, n_resamples)`` float32 (exact below 2**24), computed once:
        gathering the units of ranked clips is then a copy of whole rows."""
        if self._units_first is None:
            self._units_first = np.ascontiguousarray(self.counts.T, dtype=np.float32)
        return self._units_first

    def units(self, clips: np.ndarray) -> np.ndarray:
        """The unit of each clip in ``clips`` (indices) ``(k,)``."""
        return clips if self.unit_of_clip is None else self.unit_of_clip[clips]


def group_draws(groups: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> Draws:
    """A cluster bootstrap's draws: each resample draws as many units as there are, with replacement
    (``numpy.random.default_rng(seed).integers(0, n_units, (resamples, n_units))``, units in sorted order of
    their names); reproducible for a given ``seed``.

    Parameters
    ----------
    groups: ``(n_clips,)`` unit of each clip (compared as strings).
    resamples, seed: number of resamples and the generator's seed (``numpy.random.default_rng``).
    """
    _, unit_of_clip = np.unique(np.asarray(groups).astype(str), return_inverse=True)
    n_units = int(unit_of_clip.max()) + 1 if len(unit_of_clip) else 0
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n_units, size=(resamples, n_units))
    offsets = draws + np.arange(resamples)[:, None] * n_units
    counts = np.bincount(offsets.ravel(), minlength=resamples * n_units).reshape(resamples, n_units)
    return Draws(counts.astype(np.float64), unit_of_clip.reshape(-1))


def group_weights(groups: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """Clip weights of a cluster bootstrap: ``(resamples, n_clips)`` float64 multiplicities, every clip of a
    drawn unit with its unit's multiplicity (:func:`group_draws`'s draws, clip by clip)."""
    return group_draws(groups, resamples, seed).weights


def _counts(weights: np.ndarray | Draws, table: ScoredClips) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted TP, FP, FN and positives per class, each ``(n_resamples, n_classes)``."""
    observed = table.mask > 0
    truth, decision = (table.targets > 0) & observed, (table.predictions > 0) & observed
    k = truth.shape[1]
    summed = Draws.of(weights).sums(np.hstack([truth & decision, ~truth & decision, truth & ~decision, truth]))
    return summed[:, :k], summed[:, k:2 * k], summed[:, 2 * k:3 * k], summed[:, 3 * k:]


def accuracy(weights: np.ndarray | Draws, table: ScoredClips) -> np.ndarray:
    """Weighted share of clips whose decided class (arg-max of the decision-first scores) is a label."""
    decided = table.decision_scores().argmax(axis=1)
    correct = table.targets.argmax(axis=1) == decided
    summed = Draws.of(weights).sums(np.column_stack([correct, np.ones(len(correct))]))
    hits, total = summed[:, 0], summed[:, 1]
    return np.divide(hits, total, out=np.zeros_like(total), where=total > 0)


def micro_f1(weights: np.ndarray | Draws, table: ScoredClips) -> np.ndarray:
    """F1 of all (clip, class) decisions pooled, weighted."""
    tp, fp, fn, _ = _counts(weights, table)
    return f1_from_counts(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1))


def macro_f1(weights: np.ndarray | Draws, table: ScoredClips) -> np.ndarray:
    """Mean per-class F1 over every class (the class set never depends on the resample), zero denominators
    by the absent-class rule of :mod:`irbench.evaluation.metrics`."""
    tp, fp, fn, _ = _counts(weights, table)
    return macro_figures(tp, fp, fn)["macro_f1"]


def running_sum(rows: np.ndarray) -> np.ndarray:
    """Cumulative sum down the first axis of ``rows`` ``(n, n_resamples)``, in place (``rows`` is returned):
    ``np.cumsum(rows, axis=0)`` by one vectorised row addition per row, which measured 2.7x faster here
    (231 against 618 us for 160 x 1,000 float32; numpy accumulates along axis 0 column by column)."""
    for i in range(1, len(rows)):
        np.add(rows[i], rows[i - 1], out=rows[i])
    return rows


def _running_sums_at(rows: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sums of the first ``counts[g]`` rows of ``rows`` ``(n, n_resamples)`` float32 for each ``g``:
    ``(len(counts), n_resamples)`` float32, zeros where ``counts[g]`` is 0 (``rows`` is overwritten)."""
    out = np.zeros((len(counts), rows.shape[1]), dtype=np.float32)
    taken = counts > 0
    if taken.any():
        out[taken] = running_sum(rows)[counts[taken] - 1]
    return out


def average_precision(weights: np.ndarray | Draws, truth: np.ndarray, scores: np.ndarray,
                      clips: np.ndarray | None = None) -> np.ndarray:
    """Weighted average precision of one class (scikit-learn's definition: sum over distinct score
    thresholds, highest first, of the recall gained times the precision there).

    Parameters
    ----------
    weights: clip weights ``(n_resamples, n)`` or :class:`Draws`; truth: ``(n,)`` 0/1; scores: ``(n,)``.
    clips: with :class:`Draws`, the ``(n,)`` clip indices ``truth`` and ``scores`` belong to (default: all).

    Returns ``(n_resamples,)``; NaN where the resample has no positive. Only thresholds where recall grows
    add a term; the weighted counts are exact (float32 cumulative sums of integer multiplicities, below
    2**24 clips), the rest float64. Clips ranked above a threshold are summed as positives plus negatives,
    each ranked clip once (summing all ranked clips and the positives again measured 1.25x the time:
    9.7 against 7.7 ms per 400-clip, 20-class OpenMIC table at 1,000 resamples). (Summing the stretches
    between gaining blocks with ``numpy.add.reduceat`` first measured 3x slower than the running sums.)
    """
    draws = Draws.of(weights)
    clips = np.arange(len(truth)) if clips is None else np.asarray(clips)
    order = np.argsort(-scores, kind="mergesort")
    ranked = scores[order]
    ends = np.flatnonzero(np.append(ranked[1:] != ranked[:-1], True))  # last index of each tie block
    is_positive = np.asarray(truth)[order] > 0
    positives = np.flatnonzero(is_positive)
    if not len(positives):
        return np.full(len(draws), np.nan)
    seen_positives = np.searchsorted(positives, ends, side="right")  # positives ranked up to each block's end
    gaining = np.flatnonzero(np.diff(seen_positives, prepend=0) > 0)  # blocks where recall can grow
    last = ends[gaining]  # each gaining block's last ranked clip
    units = draws.units(clips[order[:last[-1] + 1]])  # the unit of each ranked clip
    negatives = np.flatnonzero(~is_positive[:last[-1] + 1])
    by_unit = draws.units_first()
    # weighted positives and negatives ranked up to each gaining block's end (exact integer sums)
    tp = _running_sums_at(by_unit[units[positives]], seen_positives[gaining])
    seen = _running_sums_at(by_unit[units[negatives]], last + 1 - seen_positives[gaining])
    seen += tp
    total = tp[-1].astype(np.float64)
    gained = tp.copy()
    gained[1:] -= tp[:-1]  # recall gained x total at each gaining block: exact
    # AP = sum over gaining blocks of (recall gained) x precision = sum(gained x tp / seen) / total; a block
    # whose clips were all left out of the resample has tp = seen = 0 and adds 0 (seen raised to 1)
    np.maximum(seen, 1.0, out=seen)
    precision = np.divide(tp, seen, dtype=np.float64)
    ap = np.einsum("gr,gr->r", precision, gained.astype(np.float64)) / np.maximum(total, 1.0)
    return np.where(total > 0, ap, np.nan)


def mean_average_precision(weights: np.ndarray | Draws, table: ScoredClips) -> np.ndarray:
    """Mean over the classes with a positive in the whole test set of the weighted AP over annotated clips;
    a class with no positive in a resample keeps its whole-test-set AP there (the rule of
    :func:`irbench.evaluation.metrics.headline_metric`), so every resample averages the same classes."""
    draws = Draws.of(weights)
    values = []
    for c in range(table.targets.shape[1]):
        observed = np.flatnonzero(table.mask[:, c] > 0)
        truth = table.targets[observed, c] > 0
        if truth.any():
            value = average_precision(draws, truth, table.scores[observed, c], observed)
            missing = np.isnan(value)
            if missing.any():  # resamples without a positive keep the whole-test-set AP
                value[missing] = fast_average_precision(truth, table.scores[observed, c])
            values.append(value)
    if not values:
        return np.zeros(len(draws))
    return np.vstack(values).mean(axis=0)


WEIGHTED: dict[str, Callable[[np.ndarray, ScoredClips], np.ndarray]] = {
    "accuracy": accuracy, "micro_f1": micro_f1, "macro_f1": macro_f1, "map": mean_average_precision,
}
"""Metric key -> its weighted form; the metrics a paired comparison can resample."""


def weighted_metric(name: str, weights: np.ndarray | Draws, table: ScoredClips) -> np.ndarray:
    """``name`` of ``table`` under each row of ``weights`` ``(n_resamples, n_clips)`` (or :class:`Draws`);
    ``(n_resamples,)``.

    Raises ``KeyError`` for a metric without a weighted form (see :data:`WEIGHTED`).
    """
    return WEIGHTED[name](weights, table)


def seed_mean(name: str, weights: np.ndarray | Draws, tables: Sequence[ScoredClips]) -> np.ndarray:
    """A row's score in each resample: ``name`` under ``weights`` ``(n_resamples, n_clips)`` or
    :class:`Draws`, mean over the
    row's seeds (one table per seed, clips in the order of ``weights``); ``(n_resamples,)``.

    Raises ``KeyError`` for a metric without a weighted form, ``ValueError`` for no table."""
    if not tables:
        raise ValueError("a row needs at least one seed's table")
    return np.mean([weighted_metric(name, weights, table) for table in tables], axis=0)


@dataclass(frozen=True)
class PairedDifference:
    """A row's score minus the reference row's, on the same test units.

    difference: mean over the row's seeds minus mean over the reference's seeds, whole test set.
    low, high: the percentile interval (at ``level``) of the difference over the resamples.
    seed_std: sample standard deviation of the per-seed difference over the seeds both rows ran (``None``
        with fewer than two); n_seed_pairs: how many seeds that is.
    """

    difference: float
    low: float
    high: float
    seed_std: float | None
    n_seed_pairs: int


def paired_difference(
    scores: Sequence[tuple[int, float]], resampled: np.ndarray,
    reference_scores: Sequence[tuple[int, float]], reference_resampled: np.ndarray, level: float = LEVEL,
) -> PairedDifference:
    """The paired comparison of a row with the reference row (see the module docstring).

    Parameters
    ----------
    scores, reference_scores: ``(seed, whole-test-set score)`` of each run of the row and of the reference.
    resampled, reference_resampled: ``(n_resamples,)`` seed-mean scores of the two rows under the SAME
        weights (:func:`seed_mean`).
    level: coverage of the interval (0.95: the 2.5th and 97.5th percentiles).

    Raises ``ValueError`` when a row has no run or the two resampled arrays differ in length.
    """
    if not scores or not reference_scores:
        raise ValueError("both rows need at least one run")
    if np.shape(resampled) != np.shape(reference_resampled):
        raise ValueError(f"{np.shape(resampled)} resampled scores against {np.shape(reference_resampled)}")
    differences = np.asarray(resampled, np.float64) - np.asarray(reference_resampled, np.float64)
    low, high = np.percentile(differences, [100 * (1 - level) / 2, 100 * (1 + level) / 2])
    by_seed = dict(reference_scores)
    shared = [value - by_seed[seed] for seed, value in scores if seed in by_seed]
    return PairedDifference(
        difference=statistics.fmean(v for _, v in scores) - statistics.fmean(v for _, v in reference_scores),
        low=float(low), high=float(high),
        seed_std=statistics.stdev(shared) if len(shared) > 1 else None, n_seed_pairs=len(shared),
    )
