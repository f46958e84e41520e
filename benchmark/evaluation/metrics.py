"""Multi-label classification metrics, computed with scikit-learn.

Definitions follow Han, Kim, Lee 2017 (micro and macro precision, recall and F1 over the label set) plus
label ranking average precision (LRAP, as in Zhong et al. 2023) and the "top-1 hit rate" that seed
projects reported (a clip counts as a hit when its highest-scoring class is one of its labels).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    label_ranking_average_precision_score,
    precision_recall_fscore_support,
)


def top1_hit_rate(targets: np.ndarray, clip_scores: np.ndarray) -> float:
    """Fraction of clips whose arg-max class is among their labels; ``(n_clips, n_classes)`` inputs."""
    top = clip_scores.argmax(axis=1)
    return float(np.asarray(targets, dtype=np.float64)[np.arange(len(top)), top].mean())


def multilabel_metrics(
    targets: np.ndarray, predictions: np.ndarray, clip_scores: np.ndarray, labels: tuple[str, ...]
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Overall and per-class metrics of 0/1 ``predictions`` against multi-hot ``targets``.

    Parameters
    ----------
    targets, predictions, clip_scores: ``(n_clips, n_classes)`` arrays (scores rank classes for LRAP).
    labels: class labels, ``(n_classes,)``.

    Returns
    -------
    (metrics, per_class): ``metrics`` holds micro/macro precision, recall, F1, ``lrap`` and
    ``top1_hit_rate``; ``per_class`` maps each label to precision, recall, f1 and support (test clips that
    carry the label). A class without support gets precision/recall/F1 of 0 by scikit-learn's
    ``zero_division=0`` and its support of 0 says so.
    """
    metrics: dict[str, float] = {}
    for average in ("micro", "macro"):
        p, r, f, _ = precision_recall_fscore_support(
            targets, predictions, average=average, zero_division=0
        )
        metrics.update({f"{average}_precision": float(p), f"{average}_recall": float(r), f"{average}_f1": float(f)})
    metrics["lrap"] = float(label_ranking_average_precision_score(targets, clip_scores))
    metrics["top1_hit_rate"] = top1_hit_rate(targets, clip_scores)
    p, r, f, s = precision_recall_fscore_support(targets, predictions, average=None, zero_division=0)
    per_class = {
        label: {"precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]), "support": int(s[i])}
        for i, label in enumerate(labels)
    }
    return metrics, per_class
