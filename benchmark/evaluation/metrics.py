"""Classification metrics for the three prediction types, computed with scikit-learn.

- multi-label (IRMAS test, MusicNet): micro and macro precision/recall/F1 (Han, Kim, Lee 2017), LRAP
  (Zhong et al. 2023), the "top-1 hit rate" of earlier IRMAS projects (the highest-scoring class is one of the
  clip's labels), mAP (mean per-class average precision), Hamming loss, per-class ROC-AUC;
- masked multi-label (OpenMIC-2018, Humphrey et al. 2018): every per-class figure over observed
  (clip, class) pairs only; micro-F1 over all observed pairs pooled;
- single-label (Medley-solos-DB): accuracy, mean per-class accuracy, macro-F1, confusion matrix.

A class without a positive test example has no support: its precision, recall, F1, AP and ROC-AUC are
``None`` (reported as "no support", never 0 or NaN) and macro averages and mAP run over the classes with
support. Micro averages pool every (clip, class) decision of every class, so a false positive counts even for
a class absent from the test set (predicting an absent class is never free); each class's
``true_positives``, ``false_positives`` and ``false_negatives`` are recorded, absent classes included.
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    hamming_loss,
    label_ranking_average_precision_score,
    precision_recall_fscore_support,
    roc_auc_score,
)


def top1_hit_rate(targets: np.ndarray, clip_scores: np.ndarray) -> float:
    """Fraction of clips whose arg-max class is among their labels; ``(n_clips, n_classes)`` inputs."""
    top = clip_scores.argmax(axis=1)
    return float(np.asarray(targets, dtype=np.float64)[np.arange(len(top)), top].mean())


def error_counts(truth: np.ndarray, decision: np.ndarray) -> dict[str, int]:
    """``true_positives``, ``false_positives`` and ``false_negatives`` of one class from 1-D 0/1 arrays."""
    truth, decision = np.asarray(truth) > 0, np.asarray(decision) > 0
    return {"true_positives": int((truth & decision).sum()), "false_positives": int((~truth & decision).sum()),
            "false_negatives": int((truth & ~decision).sum())}


def _class_figures(truth: np.ndarray, decision: np.ndarray, score: np.ndarray) -> dict[str, float | None]:
    """Precision, recall, F1, AP, ROC-AUC, support and error counts of one class from 1-D arrays; the
    figures are ``None`` without support, the counts never are."""
    support = int(truth.sum())
    counts = error_counts(truth, decision)
    if support == 0:
        return {"precision": None, "recall": None, "f1": None, "ap": None, "roc_auc": None, "support": 0, **counts}
    p, r, f, _ = precision_recall_fscore_support(truth, decision, average="binary", zero_division=0)
    both = 0 < support < len(truth)
    return {
        "precision": float(p), "recall": float(r), "f1": float(f),
        "ap": float(average_precision_score(truth, score)),
        "roc_auc": float(roc_auc_score(truth, score)) if both else None,
        "support": support, **counts,
    }


def classes_without_support(per_class: dict[str, dict]) -> list[str]:
    """Labels whose ``support`` is 0 (no positive test clip), in class order."""
    return [label for label, figures in per_class.items() if not figures["support"]]


def _mean_of(per_class: dict[str, dict], key: str) -> float:
    values = [v[key] for v in per_class.values() if v[key] is not None]
    return float(np.mean(values)) if values else 0.0


def multilabel_metrics(
    targets: np.ndarray, predictions: np.ndarray, clip_scores: np.ndarray, labels: tuple[str, ...],
    mask: np.ndarray | None = None,
) -> tuple[dict[str, float], dict[str, dict[str, float | None]]]:
    """Overall and per-class metrics of 0/1 ``predictions`` against multi-hot ``targets``.

    Parameters
    ----------
    targets, predictions, clip_scores: ``(n_clips, n_classes)``; scores rank clips for AP and ROC-AUC.
    labels: class labels, ``(n_classes,)``.
    mask: ``(n_clips, n_classes)``, 1 for observed pairs; ``None`` observes all. With a mask, LRAP and the
        top-1 hit rate (which need every pair) are left out.

    Returns
    -------
    (metrics, per_class). ``metrics``: micro/macro precision, recall, F1, ``map``, ``hamming_loss`` (over
    observed pairs), and without a mask ``lrap`` and ``top1_hit_rate``. ``per_class``: precision, recall, f1,
    ap, roc_auc and support (observed positives) per label.
    """
    observed = np.ones_like(targets, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    per_class = {
        label: _class_figures(targets[observed[:, i], i], predictions[observed[:, i], i], clip_scores[observed[:, i], i])
        for i, label in enumerate(labels)
    }
    truth, decision = targets[observed], predictions[observed]
    p, r, f, _ = precision_recall_fscore_support(truth, decision, average="binary", zero_division=0)
    metrics = {
        "micro_precision": float(p), "micro_recall": float(r), "micro_f1": float(f),
        "macro_precision": _mean_of(per_class, "precision"), "macro_recall": _mean_of(per_class, "recall"),
        "macro_f1": _mean_of(per_class, "f1"), "map": _mean_of(per_class, "ap"),
        "hamming_loss": float(hamming_loss(truth, decision)) if truth.size else 0.0,
    }
    if mask is None:
        metrics["lrap"] = float(label_ranking_average_precision_score(targets, clip_scores))
        metrics["top1_hit_rate"] = top1_hit_rate(targets, clip_scores)
    return metrics, per_class


def single_label_metrics(
    targets: np.ndarray, clip_scores: np.ndarray, labels: tuple[str, ...]
) -> tuple[dict[str, float], dict[str, dict[str, float | None]], list[list[int]]]:
    """Arg-max decisions scored against one-hot ``targets``; all inputs ``(n_clips, n_classes)``.

    Returns
    -------
    (metrics, per_class, confusion): ``accuracy``, ``balanced_accuracy`` (mean per-class accuracy over
    classes with support), ``macro_f1`` and ``micro_f1`` (equal to accuracy for single-label data);
    per-class precision, recall (the class's accuracy), f1 and support; the confusion matrix
    ``(n_classes, n_classes)`` with true classes as rows.
    """
    truth, predicted = targets.argmax(axis=1), clip_scores.argmax(axis=1)
    present = sorted(set(truth.tolist()))
    one_hot = np.eye(len(labels))[predicted]
    per_class = {
        label: _class_figures(targets[:, i], one_hot[:, i], clip_scores[:, i]) for i, label in enumerate(labels)
    }
    metrics = {
        "accuracy": float((truth == predicted).mean()),
        "balanced_accuracy": float(balanced_accuracy_score(truth, predicted)) if len(truth) else 0.0,
        "macro_f1": float(f1_score(truth, predicted, labels=present, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(truth, predicted, average="micro", zero_division=0)),
    }
    confusion = confusion_matrix(truth, predicted, labels=list(range(len(labels)))).tolist()
    return metrics, per_class, confusion


def _f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(denominator, dtype=float), where=denominator > 0)


def fast_average_precision(truth: np.ndarray, score: np.ndarray) -> float:
    """Average precision of one class, ``(n,)`` 0/1 truth and ``(n,)`` scores: scikit-learn's definition
    (``sum_k (R_k - R_{k-1}) P_k`` over distinct score thresholds, ties taken together) without its input
    validation, so a bootstrap can call it thousands of times. 0 when there is no positive."""
    order = np.argsort(-np.asarray(score, dtype=np.float64), kind="mergesort")
    ranked, hits = np.asarray(score, dtype=np.float64)[order], np.asarray(truth)[order] > 0
    ends = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1]
    true_positives = np.cumsum(hits)[ends]
    if not len(true_positives) or true_positives[-1] == 0:
        return 0.0
    precision = true_positives / (ends + 1)
    recall = true_positives / true_positives[-1]
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def headline_metric(name: str, targets: np.ndarray, predictions: np.ndarray, scores: np.ndarray,
                    mask: np.ndarray | None = None) -> float:
    """One metric, fast enough to recompute a thousand times for a bootstrap interval.

    Supports ``accuracy``, ``micro_f1``, ``macro_f1`` (over classes with support) and ``map``, with the same
    definitions as :func:`multilabel_metrics` and :func:`single_label_metrics`; ``predictions`` are the 0/1
    decisions ``(n_clips, n_classes)`` (the arg-max one-hot for single-label tasks).

    Raises ``ValueError`` for another metric.
    """
    observed = np.ones_like(targets, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    truth, decision = (targets > 0) & observed, (predictions > 0) & observed
    tp = (truth & decision).sum(axis=0)
    fp = (~truth & decision & observed).sum(axis=0)
    fn = (truth & ~decision).sum(axis=0)
    supported = truth.sum(axis=0) > 0
    if name == "accuracy":
        return float((targets.argmax(axis=1) == scores.argmax(axis=1)).mean())
    if name == "micro_f1":
        return float(_f1(tp.sum(), fp.sum(), fn.sum()))
    if name == "macro_f1":
        return float(_f1(tp, fp, fn)[supported].mean()) if supported.any() else 0.0
    if name == "map":
        values = [fast_average_precision(truth[observed[:, i], i], scores[observed[:, i], i])
                  for i in np.flatnonzero(supported)]
        return float(np.mean(values)) if values else 0.0
    raise ValueError(f"no fast path for metric {name!r}")
