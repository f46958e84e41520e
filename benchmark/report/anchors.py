"""Published reference numbers shown beside the leaderboards, never ranked with runs.

Each task declares its published numbers in its dataset card (``TaskMetadata.card.references``: the number
with its citation, the metric as its source defined it, and the protocol caveat that keeps it from being
compared one to one with irbench's runs), so a plugin task's page shows its own.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anchor:
    """One published number: task, method, metric (as the source defined it), value, source, caveat; the
    record metric of the same quantity and the training-data overlap note (see
    :class:`irbench.data.datasets.Reference`)."""

    task: str
    method: str
    metric: str
    value: str
    source: str
    caveat: str
    comparable_metrics: tuple[str, ...] = ()
    training_overlap: str = ""


def anchors_for(task: str) -> list[Anchor]:
    """The published numbers of ``task`` in its card's order; none for a task that is not registered, fails
    to import, or declares no card (a record from a plugin not installed still gets its page)."""
    from irbench.tasks import TASKS

    try:
        card = TASKS.get(task).metadata.card if task in TASKS else None
    except Exception:  # a broken plugin costs its published numbers, never the report
        card = None
    if card is None:
        return []
    return [Anchor(task=task, **reference.model_dump()) for reference in card.references]


def load_anchors() -> list[Anchor]:
    """The published numbers of every registered task, task by task."""
    from irbench.tasks import TASKS

    return [anchor for task in TASKS.names() for anchor in anchors_for(task)]
