"""Main scores under clip weights, for many bootstrap resamples at once.

A resample is a vector of clip multiplicities (how often each clip was drawn); the score of the resample
equals :func:`irbench.evaluation.metrics.headline_metric` on the test set with every clip repeated that
many times. With all weights 1 it equals the whole-test-set score (the tests check both). Each function
takes ``weights`` ``(n_resamples, n_clips)`` and returns ``(n_resamples,)``; clip arrays are
``(n_clips, n_classes)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from irbench.evaluation.metrics import f1_from_counts, fast_average_precision, macro_figures
from irbench.predictions_file import ClipTable


def _counts(weights: np.ndarray, table: ClipTable) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted TP, FP, FN and positives per class, each ``(n_resamples, n_classes)``."""
    observed = table.mask > 0
    truth, decision = (table.targets > 0) & observed, (table.predictions > 0) & observed
    tp = weights @ (truth & decision).astype(np.float64)
    fp = weights @ (~truth & decision).astype(np.float64)
    fn = weights @ (truth & ~decision).astype(np.float64)
    return tp, fp, fn, weights @ truth.astype(np.float64)


def accuracy(weights: np.ndarray, table: ClipTable) -> np.ndarray:
    """Weighted share of clips whose decided class (arg-max of the decision-first scores) is a label."""
    decided = table.decision_scores().argmax(axis=1)
    correct = table.targets.argmax(axis=1) == decided
    total = weights.sum(axis=1)
    return np.divide(weights @ correct.astype(np.float64), total, out=np.zeros_like(total), where=total > 0)


def micro_f1(weights: np.ndarray, table: ClipTable) -> np.ndarray:
    """F1 of all (clip, class) decisions pooled, weighted."""
    tp, fp, fn, _ = _counts(weights, table)
    return f1_from_counts(tp.sum(axis=1), fp.sum(axis=1), fn.sum(axis=1))


def macro_f1(weights: np.ndarray, table: ClipTable) -> np.ndarray:
    """Mean per-class F1 over every class (the class set never depends on the resample), zero denominators
    by the absent-class rule of :mod:`irbench.evaluation.metrics`."""
    tp, fp, fn, _ = _counts(weights, table)
    return macro_figures(tp, fp, fn)["macro_f1"]


def average_precision(weights: np.ndarray, truth: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Weighted average precision of one class (scikit-learn's definition: sum over distinct score
    thresholds, highest first, of the recall gained times the precision there).

    Parameters
    ----------
    weights: ``(n_resamples, n)``; truth: ``(n,)`` 0/1; scores: ``(n,)``.

    Returns ``(n_resamples,)``; NaN where the resample has no positive.
    """
    order = np.argsort(-scores, kind="mergesort")
    ranked = scores[order]
    ends = np.flatnonzero(np.r_[ranked[1:] != ranked[:-1], True])  # last index of each tie block
    w = weights[:, order].astype(np.float32)  # multiplicities: exact in float32 below 2**24 clips
    tp = np.cumsum(w * truth[order].astype(np.float32), axis=1)[:, ends].astype(np.float64)
    seen = np.cumsum(w, axis=1)[:, ends].astype(np.float64)
    precision = np.divide(tp, seen, out=np.zeros_like(tp), where=seen > 0)
    total = tp[:, -1:]
    recall = np.divide(tp, total, out=np.zeros_like(tp), where=total > 0)
    gained = np.diff(recall, axis=1, prepend=0.0)
    return np.where(total[:, 0] > 0, (gained * precision).sum(axis=1), np.nan)


def mean_average_precision(weights: np.ndarray, table: ClipTable) -> np.ndarray:
    """Mean over the classes with a positive in the whole test set of the weighted AP over annotated clips;
    a class with no positive in a resample keeps its whole-test-set AP there (the rule of
    :func:`irbench.evaluation.metrics.headline_metric`), so every resample averages the same classes."""
    values = []
    for c in range(table.targets.shape[1]):
        observed = table.mask[:, c] > 0
        truth = table.targets[observed, c] > 0
        if truth.any():
            whole = fast_average_precision(truth, table.scores[observed, c])
            value = average_precision(weights[:, observed], truth, table.scores[observed, c])
            values.append(np.where(np.isnan(value), whole, value))
    if not values:
        return np.zeros(len(weights))
    return np.vstack(values).mean(axis=0)


WEIGHTED: dict[str, Callable[[np.ndarray, ClipTable], np.ndarray]] = {
    "accuracy": accuracy, "micro_f1": micro_f1, "macro_f1": macro_f1, "map": mean_average_precision,
}


def weighted_metric(name: str, weights: np.ndarray, table: ClipTable) -> np.ndarray:
    """``name`` of ``table`` under each row of ``weights`` ``(n_resamples, n_clips)``; ``(n_resamples,)``.

    Raises ``KeyError`` for a metric without a weighted form (see :data:`WEIGHTED`).
    """
    return WEIGHTED[name](weights, table)
