"""Every metric a run record can hold: its key, the field's name for it (Micro-F1, mAP, LRAP), a one-line
definition and which direction is better. The formulas are in :mod:`irbench.evaluation.metrics`; the report
only displays what this registry says and ranks by its direction.

:data:`METRICS` is keyed by the metric's key in a run record. Keys prefixed ``s1_`` are the same metric with
window scores aggregated by their mean (S1, Han, Kim & Lee 2017) instead of the task's main aggregation
(:data:`PREFIXES`).

An unknown key (a plugin task's own metric that nobody registered) is displayed as it is, with no
definition, and its direction is NOT guessed silently: :func:`direction` returns ``None``, and
:func:`higher_is_better` (what ranking calls) issues an :class:`UnknownMetricWarning` naming the metric, then
ranks it higher-is-better. A plugin registers its metrics when its module is imported::

    from irbench.evaluation.metric_registry import METRICS, Metric

    METRICS.register("eer", Metric("eer", "EER", "Equal error rate: ...", higher_is_better=False))
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from irbench.registry import Registry


@dataclass(frozen=True)
class Metric:
    """One metric: ``key`` in a run record's ``metrics``, ``display`` name, one-line ``definition`` and
    whether a larger value is better."""

    key: str
    display: str
    definition: str
    higher_is_better: bool = True


class UnknownMetricWarning(UserWarning):
    """A metric without a registry entry was ranked: its direction was assumed (higher is better)."""


_MICRO = "pooled over every (clip, class) decision, so every false positive counts"
_MACRO = ("mean over every class; a class absent from the test set counts 1 when never predicted and 0 once "
          "predicted, so predicting every instrument never pays")
_SUPPORTED = "mean over the classes with at least one positive test clip"

METRICS: Registry[Metric] = Registry("metric")
for _metric in (
    Metric("micro_f1", "Micro-F1", f"F1 of all decisions {_MICRO}: 2TP / (2TP + FP + FN)."),
    Metric("macro_f1", "Macro-F1", f"Per-class F1, {_MACRO}."),
    Metric("micro_precision", "Micro-precision", f"TP / (TP + FP), {_MICRO}."),
    Metric("micro_recall", "Micro-recall", f"TP / (TP + FN), {_MICRO}."),
    Metric("macro_precision", "Macro-precision", f"Per-class precision, {_MACRO}."),
    Metric("macro_recall", "Macro-recall", f"Per-class recall, {_MACRO}."),
    Metric("macro_f1_absent_zero", "Macro-F1 (absent = 0)",
           "Per-class F1, mean over every class with a class absent from the test set always 0 (scikit-learn "
           "zero_division=0): the quantity some published numbers are, shown beside them only."),
    Metric("map", "mAP", f"Mean average precision: area under each class's precision-recall curve of the scores "
                         f"(no threshold), {_SUPPORTED}; the class set is fixed by the whole test set in every "
                         f"bootstrap resample."),
    Metric("lrap", "LRAP", "Label ranking average precision: per clip, how highly its true classes rank among all "
                           "classes (threshold-free; Zhong et al. 2023)."),
    Metric("hamming_loss", "Hamming loss", "Share of (clip, class) decisions that are wrong; lower is better.",
           higher_is_better=False),
    Metric("top1_hit_rate", "top-1 hit rate", "Share of clips whose highest-scoring class is one of their labels."),
    Metric("accuracy", "accuracy", "Share of clips whose arg-max class is their label."),
    Metric("balanced_accuracy", "balanced accuracy",
           "Mean per-class accuracy (recall), over classes with at least one test clip."),
    Metric("roc_auc", "ROC-AUC", "Area under the ROC curve of the scores, mean over classes."),
):
    METRICS.register(_metric.key, _metric)

PREFIXES: dict[str, tuple[str, str]] = {
    "s1_": ("S1 (mean) ", " Window scores aggregated by their mean (S1, Han et al. 2017)."),
}
"""Key prefix -> (display prefix, sentence appended to the definition)."""


def _split(key: str) -> tuple[tuple[str, str], str]:
    for prefix, words in PREFIXES.items():
        if key.startswith(prefix) and key[len(prefix):] in METRICS:
            return words, key[len(prefix):]
    return ("", ""), key


def metric(key: str) -> Metric | None:
    """The registered metric behind ``key`` (``s1_micro_f1`` -> the ``micro_f1`` entry), or ``None``."""
    base = _split(key)[1]
    return METRICS.get(base) if base in METRICS else None


def display_name(key: str) -> str:
    """The field's name for the metric stored as ``key`` (``micro_f1`` -> ``Micro-F1``,
    ``s1_micro_f1`` -> ``S1 (mean) Micro-F1``); unknown keys come back with ``_`` as spaces."""
    (prefix, _), _base = _split(key)
    info = metric(key)
    return prefix + info.display if info else key.replace("_", " ")


def definition(key: str) -> str:
    """One-line definition of ``key`` (empty for an unregistered metric)."""
    (_, sentence), _base = _split(key)
    info = metric(key)
    return info.definition + sentence if info else ""


def direction(key: str) -> bool | None:
    """Whether a larger value of ``key`` is better; ``None`` for an unregistered metric (nothing assumed)."""
    info = metric(key)
    return None if info is None else info.higher_is_better


def higher_is_better(key: str) -> bool:
    """The direction to rank ``key`` by: the registry's, or for an unregistered metric ``True`` with an
    :class:`UnknownMetricWarning` that names it and says how to register it."""
    known = direction(key)
    if known is None:
        warnings.warn(f"metric {key!r} is not in irbench.evaluation.metric_registry.METRICS: ranked as "
                      f"higher-is-better; register it (Metric({key!r}, ..., higher_is_better=...)) to say its "
                      f"direction", UnknownMetricWarning, stacklevel=2)
        return True
    return known


def lower_is_better(key: str) -> bool:
    """``not higher_is_better(key)`` (Hamming loss); warns like it for an unregistered metric."""
    return not higher_is_better(key)


def best_of(key: str, values: list[float]) -> float:
    """The best of ``values`` for metric ``key`` (minimum when lower is better; an unregistered metric warns
    and takes the maximum). Raises ``ValueError`` on an empty list."""
    return max(values) if higher_is_better(key) else min(values)
