"""How the report names and explains each metric: the field's names (Micro-F1, mAP, LRAP), a one-line
definition shown on hover and in each page's legend, and which direction is better.

One registry, :data:`METRICS`, keyed by the metric's key in a run record. Keys prefixed ``s1_`` are the same
metric with window scores aggregated by their mean (S1, Han, Kim & Lee 2017) instead of the task's main
aggregation; any key not registered is shown as it is, with no definition.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricInfo:
    """Display name, one-line definition and direction of one metric."""

    display: str
    definition: str
    lower_is_better: bool = False


_MICRO = "pooled over every (clip, class) decision, so every false positive counts"
_MACRO = ("mean over every class; a class absent from the test set counts 1 when never predicted and 0 once "
          "predicted, so predicting every instrument never pays")
_SUPPORTED = "mean over the classes with at least one positive test clip"

METRICS: dict[str, MetricInfo] = {
    "micro_f1": MetricInfo("Micro-F1", f"F1 of all decisions {_MICRO}: 2TP / (2TP + FP + FN)."),
    "macro_f1": MetricInfo("Macro-F1", f"Per-class F1, {_MACRO}."),
    "micro_precision": MetricInfo("Micro-precision", f"TP / (TP + FP), {_MICRO}."),
    "micro_recall": MetricInfo("Micro-recall", f"TP / (TP + FN), {_MICRO}."),
    "macro_precision": MetricInfo("Macro-precision", f"Per-class precision, {_MACRO}."),
    "macro_recall": MetricInfo("Macro-recall", f"Per-class recall, {_MACRO}."),
    "macro_f1_absent_zero": MetricInfo(
        "Macro-F1 (absent = 0)", "Per-class F1, mean over every class with a class absent from the test set "
                                 "always 0 (scikit-learn zero_division=0): the quantity some published numbers "
                                 "are, shown beside them only."),
    "map": MetricInfo("mAP", f"Mean average precision: area under each class's precision-recall curve of the "
                             f"scores (no threshold), {_SUPPORTED}; the class set is fixed by the whole test "
                             f"set in every bootstrap resample."),
    "lrap": MetricInfo("LRAP", "Label ranking average precision: per clip, how highly its true classes rank "
                               "among all classes (threshold-free; Zhong et al. 2023)."),
    "hamming_loss": MetricInfo("Hamming loss", "Share of (clip, class) decisions that are wrong; lower is better.",
                               lower_is_better=True),
    "top1_hit_rate": MetricInfo("top-1 hit rate", "Share of clips whose highest-scoring class is one of their "
                                                  "labels."),
    "accuracy": MetricInfo("accuracy", "Share of clips whose arg-max class is their label."),
    "balanced_accuracy": MetricInfo("balanced accuracy", "Mean per-class accuracy (recall), over classes "
                                                          "with at least one test clip."),
    "roc_auc": MetricInfo("ROC-AUC", "Area under the ROC curve of the scores, mean over classes."),
}

PREFIXES: dict[str, tuple[str, str]] = {
    "s1_": ("S1 (mean) ", " Window scores aggregated by their mean (S1, Han et al. 2017)."),
}
"""Key prefix -> (display prefix, sentence appended to the definition)."""


def _split(key: str) -> tuple[tuple[str, str], str]:
    for prefix, words in PREFIXES.items():
        if key.startswith(prefix) and key[len(prefix):] in METRICS:
            return words, key[len(prefix):]
    return ("", ""), key


def display_name(key: str) -> str:
    """The field's name for the metric stored as ``key`` (``micro_f1`` -> ``Micro-F1``,
    ``s1_micro_f1`` -> ``S1 (mean) Micro-F1``); unknown keys come back with ``_`` as spaces."""
    (prefix, _), base = _split(key)
    info = METRICS.get(base)
    return prefix + info.display if info else key.replace("_", " ")


def definition(key: str) -> str:
    """One-line definition of ``key`` (empty for an unregistered metric)."""
    (_, sentence), base = _split(key)
    info = METRICS.get(base)
    return info.definition + sentence if info else ""


def lower_is_better(key: str) -> bool:
    """Whether a smaller value of ``key`` is better (Hamming loss); false for unregistered metrics."""
    info = METRICS.get(_split(key)[1])
    return bool(info and info.lower_is_better)


def best_of(key: str, values: list[float]) -> float:
    """The best of ``values`` for metric ``key`` (minimum when lower is better). Raises ``ValueError``
    on an empty list."""
    return min(values) if lower_is_better(key) else max(values)
