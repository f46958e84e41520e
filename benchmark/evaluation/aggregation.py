"""Clip-level aggregation of window scores (Han, Kim, Lee 2017, IEEE/ACM TASLP 25(1), Sec. III-D).

``s1``: mean of the window probabilities. ``s2``: sum of the window probabilities normalised by its maximum,
so the top class of every clip scores 1. A threshold is applied to the result afterwards.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from irbench.registry import Registry

AGGREGATIONS: Registry[Callable[[np.ndarray], np.ndarray]] = Registry("aggregation")


@AGGREGATIONS.register("s1")
def mean_aggregation(window_scores: np.ndarray) -> np.ndarray:
    """S1: ``(n_windows, n_classes)`` probabilities -> ``(n_classes,)`` mean over windows."""
    return np.asarray(window_scores, dtype=np.float64).mean(axis=0)


@AGGREGATIONS.register("s2")
def max_normalised_sum_aggregation(window_scores: np.ndarray) -> np.ndarray:
    """S2: ``(n_windows, n_classes)`` -> ``(n_classes,)`` sum over windows divided by its maximum."""
    total = np.asarray(window_scores, dtype=np.float64).sum(axis=0)
    peak = total.max()
    return total / peak if peak > 0 else total


DESCRIPTIONS: dict[str, str] = {
    "s1": "S1, the mean of the clip's window probabilities",
    "s2": "S2, the sum of the clip's window probabilities divided by its maximum (the top class of every clip "
          "scores 1, so S2 is a decision score, not a probability)",
}
"""What each aggregation's clip score is, in words, for records and pages."""


def describe(name: str) -> str:
    """``name``'s clip score in words (:data:`DESCRIPTIONS`), or the name itself for a plugin's aggregation."""
    return DESCRIPTIONS.get(name, name)


def aggregate(name: str, window_scores: list[np.ndarray]) -> np.ndarray:
    """Aggregate every clip: list of ``(n_windows_i, n_classes)`` -> ``(n_clips, n_classes)``.

    Raises
    ------
    UnknownNameError: ``name`` is not a registered aggregation.
    """
    function = AGGREGATIONS.get(name)
    return np.stack([function(scores) for scores in window_scores])
