"""What the report says about a task: its display name, its description, its instruments' names, and the
main metrics a paper table shows by default.

Everything comes from the registered task's metadata (:class:`irbench.task.TaskMetadata`); a task that is
not registered here (a record from a plugin not installed) falls back to its validated name and labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from irbench.task import PredictionType

PAPER_METRICS: dict[str, tuple[str, ...]] = {
    "irmas": ("micro_f1", "macro_f1", "lrap"),
    "openmic": ("map", "micro_f1", "macro_f1"),
    "medley-solos": ("accuracy", "balanced_accuracy", "macro_f1"),
    "medley-solos-binary": ("accuracy", "balanced_accuracy", "macro_f1"),
    "musicnet": ("micro_f1", "macro_f1", "map"),
    "musicnet-instruments": ("micro_f1", "macro_f1", "map"),
}
"""Default columns of the Markdown and LaTeX tables per task (the main score is always first)."""
PAPER_FALLBACK = ("micro_f1", "macro_f1")

_KIND = {
    PredictionType.SINGLE_LABEL: "single-label",
    PredictionType.MULTI_LABEL: "multi-label",
    PredictionType.MASKED_MULTI_LABEL: "multi-label, partial labels",
}


@dataclass(frozen=True)
class TaskInfo:
    """Display facts of one task.

    title: e.g. ``IRMAS (multi-label, 11 classes)``; description: the metadata's sentence (empty when
    unregistered); label_names: label -> instrument name (``cel`` -> ``cello``); multi_label: whether test
    clips may carry several labels (``None`` when unknown); group_unit: what a test clip's ``group`` is
    (``track``, ``recording``, ``song``; ``None`` when unknown).
    """

    name: str
    title: str
    description: str
    label_names: dict[str, str]
    multi_label: bool | None
    group_unit: str | None = None

    def instrument(self, label: str) -> str:
        """The instrument name of ``label`` (the label itself when unknown)."""
        return self.label_names.get(label, label)


def task_info(name: str) -> TaskInfo:
    """Display facts of the task registered as ``name``; a neutral fallback when it is not registered or
    its module fails to import."""
    from irbench.tasks import TASKS

    try:
        metadata = TASKS.get(name).metadata if name in TASKS else None
    except Exception:  # noqa: BLE001 - a broken plugin must not break the report
        metadata = None
    if metadata is None:
        return TaskInfo(name, name, "", {}, None)
    title = getattr(metadata, "display_name", None) or (
        f"{metadata.dataset} ({_KIND.get(metadata.test_prediction_type, 'classification')}, "
        f"{len(metadata.labels)} classes)"
    )
    names = dict(zip(metadata.labels, metadata.label_names))
    multi = metadata.test_prediction_type != PredictionType.SINGLE_LABEL
    return TaskInfo(name, title, metadata.description, names, multi, getattr(metadata, "test_group_unit", None))


def paper_metrics(task: str, main: str, available: list[str], chosen: list[str] | None = None) -> list[str]:
    """The columns of a paper table: the main score, then ``chosen`` (the ``--metrics`` option) or the
    task's defaults (:data:`PAPER_METRICS`), keeping those the board has, without repeats."""
    wanted = chosen if chosen else PAPER_METRICS.get(task, PAPER_FALLBACK)
    return list(dict.fromkeys([main, *(m for m in wanted if m in available)]))
