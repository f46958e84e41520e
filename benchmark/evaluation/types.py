"""What evaluation works on and returns: model scores per clip of a split, and a protocol's result.

These belong to the evaluation layer (protocols produce ``Evaluation`` from ``ClipScores``); ``irbench.task``
re-exports both for task authors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class ClipScores:
    """Model outputs for the clips of one split.

    Attributes
    ----------
    clip_ids: ``(n_clips,)`` identifiers.
    window_scores: per clip an array ``(n_windows, n_classes)`` of class probabilities in [0, 1].
    targets: ``(n_clips, n_classes)`` multi-hot ground truth (0/1).
    mask: ``(n_clips, n_classes)`` 1 where the pair was annotated (all ones without partial labels).
    """

    clip_ids: list[str]
    window_scores: list[np.ndarray]
    targets: np.ndarray
    mask: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.mask is None:
            self.mask = np.ones_like(self.targets)


@dataclass
class Evaluation:
    """What a task's protocol computes from validation and test scores.

    Attributes
    ----------
    metrics: flat metric name -> value (includes ``micro_f1`` and ``macro_f1``).
    per_class: class label -> {precision, recall, f1, support, ...}; ``None`` values where the class
        has no support in the test set (never 0 or NaN).
    threshold: the decision rule: threshold value, how and on which split it was chosen.
    clip_scores: ``(n_test_clips, n_classes)`` aggregated test scores.
    clip_predictions: ``(n_test_clips, n_classes)`` 0/1 decisions.
    extra: further protocol outputs stored in the record (e.g. ``confusion_matrix``).
    rescore: ``rescore(metric, indices)``, the named metric on the test clips at ``indices`` ``(k,)`` with
        the same decisions (for bootstrap intervals).
    """

    metrics: dict[str, float]
    per_class: dict[str, dict[str, float | None]]
    threshold: dict[str, object]
    clip_scores: np.ndarray
    clip_predictions: np.ndarray
    extra: dict[str, object] = field(default_factory=dict)
    rescore: Callable[[str, np.ndarray], float] | None = None
