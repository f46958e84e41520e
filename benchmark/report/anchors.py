"""Published reference numbers shown beside the leaderboards, never ranked with runs.

Each task declares its published numbers in its dataset card (``TaskMetadata.card.references``: the number
with its citation, the metric as its source defined it, and the protocol caveat that keeps it from being
compared one to one with irbench's runs), so a plugin task's page shows its own. Every format shows them
as a block of their own after the task's leaderboards (HTML: a dashed table; Markdown: a "Published numbers"
heading and table; LaTeX: a table float of its own), never as rows of a leaderboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from irbench.report.collect import Leaderboard


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


def beside_anchor(boards: list[Leaderboard]) -> Callable[[Anchor], str]:
    """``beside(anchor)``: the best row's values of the anchor's ``comparable_metrics`` on the first real-data
    board of ``boards`` (one task's, in track order: supervised first), e.g. ``vgg: 0.231 / 0.190
    (Micro-F1 / Macro-F1)``, with the track named when it is not supervised; ``""`` when the anchor names
    none, no row has them, or there are only stand-in results (synthesised audio is never set beside a
    published number)."""
    from irbench.evaluation import metric_registry
    from irbench.store.tracks import SUPERVISED

    board = next((b for b in boards if not b.stand_in), None)

    def beside(anchor: Anchor) -> str:
        metrics = list(anchor.comparable_metrics)
        if board is None or not metrics:
            return ""
        rows = [row for row in board.rows if all(m in row.metrics and row.metrics[m] for m in metrics)]
        if not rows:
            return ""
        first = metrics[0]
        best = (min if metric_registry.lower_is_better(first) else max)(rows, key=lambda r: r.metrics[first].mean)
        values = " / ".join(f"{best.metrics[m].mean:.3f}" for m in metrics)
        names = " / ".join(metric_registry.display_name(m) for m in metrics)
        track = "" if board.track == SUPERVISED else f" ({board.track} track)"
        return f"{best.label}{track}: {values} ({names})"

    return beside
