"""Classification metrics for the three prediction types, computed with scikit-learn.

- multi-label (IRMAS test, MusicNet): micro and macro precision/recall/F1 (Han, Kim, Lee 2017), LRAP
  (Zhong et al. 2023), the "top-1 hit rate" of earlier IRMAS projects (the highest-scoring class is one of the
  clip's labels), mAP (mean per-class average precision), Hamming loss, per-class ROC-AUC;
- masked multi-label (OpenMIC-2018, Humphrey et al. 2018): every per-class figure over observed
  (clip, class) pairs only; micro-F1 over all observed pairs pooled;
- single-label (Medley-solos-DB): accuracy, mean per-class accuracy, macro-F1, confusion matrix.

Classes absent from the test set (no positive test example, "no support"): their own precision, recall, F1,
AP and ROC-AUC are ``None`` (shown as "no support", never 0 or NaN), but they are never dropped from an
average that decisions enter, so a false positive always costs:

- micro averages pool every (clip, class) decision of every class;
- macro precision, recall and F1 run over EVERY class (the class set is fixed by the task, never by the
  test set or a bootstrap resample). A ratio whose denominator is 0 scores 1 when the class made no error
  (no false positive and no false negative) and 0 otherwise: a class absent from the test set counts 1 when it
  is never predicted and 0 as soon as it is predicted once (the "absent-class rule"). For F1 this is
  scikit-learn's ``f1_score(average="macro", labels=all, zero_division=1)``; for recall it deviates from
  scikit-learn (whose ``zero_division=1`` gives an absent class recall 1 even when it is predicted), so
  that predicting everything never earns a macro average anything;
- ``macro_f1_absent_zero`` is the macro-F1 over every class with absent classes always 0
  (``zero_division=0``), the quantity instrument-classifier reported on MusicNet, shown beside such
  published numbers only;
- mAP averages over the classes with support (AP needs a positive; it ranks scores, so decisions and
  predicting everything do not enter it).

Each class's ``true_positives``, ``false_positives`` and ``false_negatives`` are recorded, absent classes
included.
"""

from __future__ import annotations

import numpy as np

# scikit-learn is imported inside the functions that call it: the report recomputes headline scores with
# :func:`headline_metric` and never needs it (1.2 CPU-s of a fresh process's imports).


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
    from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

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


def rate_or_error_free(numerator: np.ndarray, denominator: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` per class, where a zero denominator gives 1 when the class made no error
    (``errors == 0``: no false positive and no false negative) and 0 otherwise (the absent-class rule of the
    module docstring). All arrays ``(..., n_classes)``; returns float64 of the same shape."""
    numerator, denominator = np.asarray(numerator, np.float64), np.asarray(denominator, np.float64)
    empty = np.where(np.asarray(errors) == 0, 1.0, 0.0)
    return np.divide(numerator, denominator, out=np.broadcast_to(empty, numerator.shape).copy(),
                     where=denominator > 0)


def macro_figures(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, np.ndarray]:
    """Macro precision, recall and F1 over every class from per-class counts ``(..., n_classes)`` (any
    leading axes, e.g. bootstrap resamples); each value ``(...)``. F1 is ``2TP / (2TP + FP + FN)``; zero
    denominators follow the absent-class rule (:func:`rate_or_error_free`)."""
    errors = np.asarray(fp) + np.asarray(fn)
    return {
        "macro_precision": rate_or_error_free(tp, tp + fp, errors).mean(axis=-1),
        "macro_recall": rate_or_error_free(tp, tp + fn, errors).mean(axis=-1),
        "macro_f1": rate_or_error_free(2 * tp, 2 * tp + fp + fn, errors).mean(axis=-1),
    }


def macro_f1_absent_zero(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> float:
    """Macro-F1 over every class with a class absent from the test set scoring 0 however it was predicted
    (scikit-learn ``f1_score(average="macro", zero_division=0)``, what instrument-classifier reported);
    counts ``(n_classes,)``. For comparison with such published numbers only."""
    return float(f1_from_counts(np.asarray(tp), np.asarray(fp), np.asarray(fn)).mean()) if len(tp) else 0.0


def _mean_of(per_class: dict[str, dict], key: str) -> float:
    values = [v[key] for v in per_class.values() if v[key] is not None]
    return float(np.mean(values)) if values else 0.0


def _counts_of(per_class: dict[str, dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.array([v[key] for v in per_class.values()], dtype=np.float64)
                 for key in ("true_positives", "false_positives", "false_negatives"))


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
    (metrics, per_class). ``metrics``: micro/macro precision, recall, F1 (macro over every class, absent
    classes by the absent-class rule), ``macro_f1_absent_zero``, ``map`` (over classes with support),
    ``hamming_loss`` (over observed pairs), and without a mask ``lrap`` and ``top1_hit_rate``.
    ``per_class``: precision, recall, f1, ap, roc_auc (``None`` without support), support (observed
    positives) and error counts per label.
    """
    from sklearn.metrics import hamming_loss, label_ranking_average_precision_score, precision_recall_fscore_support

    observed = np.ones_like(targets, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    per_class = {
        label: _class_figures(targets[observed[:, i], i], predictions[observed[:, i], i], clip_scores[observed[:, i], i])
        for i, label in enumerate(labels)
    }
    truth, decision = targets[observed], predictions[observed]
    p, r, f, _ = precision_recall_fscore_support(truth, decision, average="binary", zero_division=0)
    tp, fp, fn = _counts_of(per_class)
    metrics = {
        "micro_precision": float(p), "micro_recall": float(r), "micro_f1": float(f),
        **{key: float(value) for key, value in macro_figures(tp, fp, fn).items()},
        "macro_f1_absent_zero": macro_f1_absent_zero(tp, fp, fn),
        "map": _mean_of(per_class, "ap"),
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
    classes with support, scikit-learn's definition), ``macro_f1`` (over every class, absent classes by the
    absent-class rule) and ``micro_f1`` (equal to accuracy for single-label data);
    per-class precision, recall (the class's accuracy), f1 and support; the confusion matrix
    ``(n_classes, n_classes)`` with true classes as rows.
    """
    from sklearn.metrics import balanced_accuracy_score, confusion_matrix, f1_score

    truth, predicted = targets.argmax(axis=1), clip_scores.argmax(axis=1)
    one_hot = np.eye(len(labels))[predicted]
    per_class = {
        label: _class_figures(targets[:, i], one_hot[:, i], clip_scores[:, i]) for i, label in enumerate(labels)
    }
    tp, fp, fn = _counts_of(per_class)
    metrics = {
        "accuracy": float((truth == predicted).mean()),
        "balanced_accuracy": float(balanced_accuracy_score(truth, predicted)) if len(truth) else 0.0,
        "macro_f1": float(macro_figures(tp, fp, fn)["macro_f1"]),
        "micro_f1": float(f1_score(truth, predicted, average="micro", zero_division=0)),
    }
    confusion = confusion_matrix(truth, predicted, labels=list(range(len(labels)))).tolist()
    return metrics, per_class, confusion


def f1_from_counts(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
    """``2TP / (2TP + FP + FN)`` elementwise from counts of any shape, 0 where the denominator is 0 (micro
    averages; macro averages use :func:`macro_figures`)."""
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.zeros_like(denominator, dtype=float), where=denominator > 0)


def fast_average_precision(truth: np.ndarray, score: np.ndarray) -> float:
    """Average precision of one class, ``(n,)`` 0/1 truth and ``(n,)`` scores: scikit-learn's definition
    (``sum_k (R_k - R_{k-1}) P_k`` over distinct score thresholds, ties taken together) without its input
    validation, so a bootstrap can call it thousands of times. 0 when there is no positive."""
    if not (np.asarray(truth) > 0).any():
        return 0.0
    precision, recall = precision_recall_points(truth, score)
    return float(-np.sum(np.diff(recall) * precision[:-1]))  # scikit-learn's sum, recall decreasing


def precision_recall_points(truth: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every distinct score threshold of ``(n,)`` 0/1 ``truth`` and ``(n,)`` scores:
    scikit-learn's ``precision_recall_curve`` (``drop_intermediate=False``: recall decreasing, the point
    (recall 0, precision 1) appended; recall 1 everywhere without a positive) without importing
    scikit-learn, which is 1.2 of a fresh report's CPU-s for this one curve. Returns ``(precision, recall)``,
    each ``(n_thresholds + 1,)`` float64; both ``(1,)`` for empty input."""
    score = np.asarray(score, dtype=np.float64)
    order = np.argsort(-score, kind="mergesort")
    ranked, hits = score[order], np.asarray(truth)[order] > 0
    ends = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1] if len(ranked) else np.zeros(0, dtype=int)
    true_positives = np.cumsum(hits)[ends].astype(np.float64)
    precision = true_positives / (ends + 1)  # every clip ranked up to a block's end is predicted positive
    recall = true_positives / true_positives[-1] if len(ends) and true_positives[-1] else np.ones(len(ends))
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0]


def headline_metric(name: str, targets: np.ndarray, predictions: np.ndarray, scores: np.ndarray,
                    mask: np.ndarray | None = None, reference_ap: np.ndarray | None = None) -> float:
    """One metric, fast enough to recompute a thousand times for a bootstrap interval.

    Supports ``accuracy``, ``micro_f1``, ``macro_f1`` (every class, absent-class rule) and ``map``, with the
    same definitions as :func:`multilabel_metrics` and :func:`single_label_metrics`; ``predictions`` are the
    0/1 decisions ``(n_clips, n_classes)`` (the arg-max one-hot for single-label tasks).

    ``reference_ap`` ``(n_classes,)`` fixes mAP's class set for a bootstrap resample: the whole test set's
    per-class AP, NaN for a class without support there (left out). A class with support in the whole test
    set but no positive in the resample keeps its whole-test-set AP (its AP is undefined in the resample;
    dropping it would change what the interval measures, scoring it 0 would charge the model for the draw).
    Without it, mAP runs over the classes with a positive in ``targets``.

    Raises ``ValueError`` for another metric.
    """
    observed = np.ones_like(targets, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    truth, decision = (targets > 0) & observed, (predictions > 0) & observed
    if name == "accuracy":
        return float((targets.argmax(axis=1) == scores.argmax(axis=1)).mean())
    tp = (truth & decision).sum(axis=0)
    fp = (~truth & decision).sum(axis=0)
    fn = (truth & ~decision).sum(axis=0)
    if name == "micro_f1":
        return float(f1_from_counts(tp.sum(), fp.sum(), fn.sum()))
    if name == "macro_f1":
        return float(macro_figures(tp, fp, fn)["macro_f1"]) if len(tp) else 0.0
    if name == "map":
        present = truth.sum(axis=0) > 0
        classes = np.flatnonzero(present if reference_ap is None else ~np.isnan(reference_ap))
        values = [fast_average_precision(truth[observed[:, i], i], scores[observed[:, i], i]) if present[i]
                  else float(reference_ap[i]) for i in classes]
        return float(np.mean(values)) if values else 0.0
    raise ValueError(f"no fast path for metric {name!r}")


def per_class_ap(per_class: dict[str, dict], labels: tuple[str, ...]) -> np.ndarray:
    """``(n_classes,)`` float64 AP of each label from :func:`multilabel_metrics`'s ``per_class``; NaN for a
    class without support (the ``reference_ap`` of :func:`headline_metric`)."""
    return np.array([np.nan if per_class[label].get("ap") is None else per_class[label]["ap"] for label in labels],
                    dtype=np.float64)
