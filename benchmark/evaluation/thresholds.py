"""Choosing a decision threshold on the validation split (never on test).

Several published IRMAS re-implementations pick the threshold on the test set, which is optimistic; irbench
chooses it on validation and records the grid, the criterion and the chosen value.
"""

from __future__ import annotations

import numpy as np

DEFAULT_GRID: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))


def choose_threshold(
    clip_scores: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None,
    grid: tuple[float, ...] = DEFAULT_GRID,
) -> tuple[float, dict[float, float]]:
    """Pick the threshold of ``grid`` that maximises micro-F1 on validation.

    Parameters
    ----------
    clip_scores: ``(n_clips, n_classes)`` aggregated scores in [0, 1].
    targets: ``(n_clips, n_classes)`` multi-hot validation targets.
    mask: ``(n_clips, n_classes)``; only pairs with mask 1 count (OpenMIC's partial labels).
    grid: candidate thresholds; ties go to the smallest threshold.

    Returns
    -------
    (threshold, {threshold: validation micro-F1}).

    Raises
    ------
    ValueError: no validation clips.
    """
    if len(clip_scores) == 0:
        raise ValueError("cannot choose a threshold without validation clips")
    from sklearn.metrics import f1_score  # here: importing the task protocols stays free of scikit-learn

    observed = np.ones_like(targets, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    truth, scores = targets[observed], clip_scores[observed]
    curve = {float(t): float(f1_score(truth, scores >= t, zero_division=0)) for t in grid}
    best = max(curve, key=lambda t: (curve[t], -t))
    return best, curve
