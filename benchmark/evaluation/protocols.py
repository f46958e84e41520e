"""The two evaluation protocols that tasks share, built from windows, aggregation, thresholds and metrics.

``thresholded``: window probabilities aggregated per clip (``s1`` mean, ``s2`` sum / max; Han et al.
2017), one global threshold chosen on validation micro-F1 (over observed pairs when masked), multi-label
metrics on test. ``arg_max``: mean window probabilities, the top class is the decision (single-label).
"""

from __future__ import annotations

import warnings

import numpy as np

from irbench.evaluation.aggregation import aggregate, describe
from irbench.evaluation.metrics import (
    classes_without_support,
    headline_metric,
    multilabel_metrics,
    per_class_ap,
    single_label_metrics,
)
from irbench.evaluation.thresholds import DEFAULT_GRID, choose_threshold
from irbench.evaluation.types import ClipScores, Evaluation

DEFAULT_THRESHOLD = 0.5


def split_shape(scores: ClipScores) -> dict[str, float | int]:
    """What a split looks like to a threshold: ``clips``, mean ``labels_per_clip`` (observed positives) and
    mean ``windows_per_clip`` (model windows aggregated into each clip score)."""
    n = len(scores.clip_ids)
    positives = (np.asarray(scores.targets) * np.asarray(scores.mask)).sum() if n else 0.0
    windows = sum(len(w) for w in scores.window_scores)
    return {"clips": n, "labels_per_clip": round(float(positives) / n, 3) if n else 0.0,
            "windows_per_clip": round(windows / n, 3) if n else 0.0}


def thresholded(
    validation: ClipScores, test: ClipScores, labels: tuple[str, ...], main: str = "s1",
    others: tuple[str, ...] = (), masked: bool = False, window_outputs: str = "sigmoid",
) -> Evaluation:
    """Multi-label protocol; metrics of aggregation ``main`` unprefixed, of ``others`` as ``<name>_<metric>``.

    ``window_outputs`` names the model's output activation whose window probabilities are aggregated
    (``softmax`` for a single-label-trained model such as IRMAS's, ``sigmoid`` for multi-label training).
    The record's ``threshold`` states the whole rule: the grid searched, what the scores are, the criterion,
    and what validation and test look like (clips, labels and windows per clip), since a threshold tuned on
    single-window, single-label validation clips is applied to multi-window, multi-label test clips on IRMAS.
    Without validation clips the threshold falls back to 0.5, and ``threshold.chosen_on`` says so.
    """
    metrics: dict[str, float] = {}
    threshold: dict[str, object] = {}
    result: Evaluation | None = None
    for name in (main, *others):
        test_scores = aggregate(name, test.window_scores)
        if validation.clip_ids:
            value, curve = choose_threshold(
                aggregate(name, validation.window_scores), validation.targets, validation.mask if masked else None
            )
            chosen_on = "validation"
        else:
            value, curve, chosen_on = DEFAULT_THRESHOLD, {}, "default (no validation clips)"
        predictions = (test_scores >= value).astype(int)
        overall, per_class = multilabel_metrics(
            test.targets, predictions, test_scores, labels, test.mask if masked else None
        )
        if name == main:
            metrics.update(overall)
            threshold.update({
                "aggregation": name, "value": value, "chosen_on": chosen_on,
                "criterion": "micro_f1" + (" over observed pairs" if masked else ""), "validation_curve": curve,
                "grid": list(DEFAULT_GRID) if validation.clip_ids else [],
                "scores": f"{describe(name)}, of {window_outputs} outputs",
                "validation_split": split_shape(validation), "test_split": split_shape(test),
            })
            mask = test.mask if masked else None
            extra = {"classes_without_support": classes_without_support(per_class)}
            reference_ap = per_class_ap(per_class, labels)  # fixes mAP's class set in every resample
            result = Evaluation(metrics, per_class, threshold, test_scores, predictions, extra, rescore=_rescorer(
                lambda metric, i, p=predictions, s=test_scores: headline_metric(
                    metric, test.targets[i], p[i], s[i], None if mask is None else mask[i], reference_ap)))
        else:
            metrics.update({f"{name}_{key}": v for key, v in overall.items()})
            threshold[f"{name}_value"] = value
    assert result is not None
    return result


def arg_max(validation: ClipScores, test: ClipScores, labels: tuple[str, ...]) -> Evaluation:
    """Single-label protocol: mean window probabilities, top class; stores the confusion matrix."""
    del validation  # nothing to choose: the decision rule is fixed
    scores = aggregate("s1", test.window_scores)
    metrics, per_class, confusion = single_label_metrics(test.targets, scores, labels)
    predictions = (scores == scores.max(axis=1, keepdims=True)).astype(int)
    return Evaluation(
        metrics, per_class, {"aggregation": "s1", "value": None, "chosen_on": "none (arg-max decision)"},
        scores, predictions, extra={"confusion_matrix": {"labels": list(labels), "rows_true": confusion},
                                    "classes_without_support": classes_without_support(per_class)},
        rescore=_rescorer(lambda metric, i: headline_metric(metric, test.targets[i], predictions[i], scores[i],
                                                            reference_ap=per_class_ap(per_class, labels))),
    )


def _rescorer(function):
    """Wrap a metrics-of-indices function so scikit-learn's warnings on tiny resamples stay quiet."""

    def rescore(metric, indices):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return function(metric, indices)

    return rescore
