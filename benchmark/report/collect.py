"""From run records to leaderboard tables: mean and sample standard deviation over seeds, per baseline."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from irbench.records import RunRecord

PREFERRED_METRICS = (
    "accuracy", "balanced_accuracy", "map", "micro_f1", "macro_f1", "micro_precision", "micro_recall",
    "macro_precision", "macro_recall", "lrap", "top1_hit_rate", "hamming_loss", "s1_micro_f1", "s1_macro_f1",
)
LOWER_IS_BETTER = {"hamming_loss", "s1_hamming_loss"}
PER_CLASS_FIELDS = ("precision", "recall", "f1", "ap")
FLOOR = "constant"


@dataclass
class Spread:
    """Mean and sample standard deviation (``None`` for a single seed) of one metric over ``n`` seeds."""

    mean: float
    std: float | None
    n: int

    @classmethod
    def of(cls, values: list[float | None]) -> Spread | None:
        """Spread of the values that are not ``None`` (no support); ``None`` when there are none."""
        present = [v for v in values if v is not None]
        if not present:
            return None
        return cls(statistics.fmean(present), statistics.stdev(present) if len(present) > 1 else None, len(present))


@dataclass
class Run:
    """One record and where it lies (its predictions and checkpoint sit beside it)."""

    record: RunRecord
    path: Path

    @property
    def predictions(self) -> Path:
        """The per-clip predictions CSV."""
        return self.path.with_name(self.record.predictions_file)


@dataclass
class Row:
    """One baseline on one task: metric spreads, per-class spreads, and its runs (seed order)."""

    baseline: str
    seeds: list[int]
    metrics: dict[str, Spread]
    per_class: dict[str, dict[str, Spread | None]]
    support: dict[str, int]
    runs: list[Run] = field(default_factory=list)

    @property
    def is_floor(self) -> bool:
        """The constant predictor: the floor every other row should clear."""
        return self.baseline == FLOOR


@dataclass
class Leaderboard:
    """Rows of one task on real data or on a stand-in, sorted by the main score (best first)."""

    task: str
    task_version: str
    stand_in: bool
    main_score: str
    metric_names: list[str]
    labels: list[str]
    rows: list[Row]

    @property
    def headline(self) -> list[str]:
        """The leaderboard's columns: the main score and up to five of the protocol's other metrics."""
        return self.metric_names[:6]

    @property
    def single_label(self) -> bool:
        """Whether the protocol decides one class per clip (confusion matrices apply)."""
        return any("confusion_matrix" in run.record.extra for row in self.rows for run in row.runs)


def leaderboards(runs: list[Run]) -> list[Leaderboard]:
    """Group runs by (task, task version, stand-in or real), then by baseline.

    Stand-in and real results never share a table. Only metrics present in every record of a table are
    shown, main score first.
    """
    groups: dict[tuple[str, str, bool], list[Run]] = defaultdict(list)
    for run in runs:
        groups[(run.record.task, run.record.task_version, run.record.stand_in)].append(run)
    boards = []
    for (task, version, stand_in), members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])):
        main = members[0].record.main_score
        common = set.intersection(*(set(r.record.metrics) for r in members))
        names = [main] + [m for m in PREFERRED_METRICS if m in common and m != main]
        names += sorted(m for m in common - set(names) if not m.startswith("s1_"))
        labels = list(members[0].record.per_class)
        by_baseline: dict[str, list[Run]] = defaultdict(list)
        for run in members:
            by_baseline[run.record.baseline].append(run)
        rows = [_row(name, sorted(found, key=lambda r: r.record.seed), names, labels)
                for name, found in by_baseline.items()]
        sign = 1 if main in LOWER_IS_BETTER else -1
        rows.sort(key=lambda row: sign * row.metrics[main].mean)
        boards.append(Leaderboard(task, version, stand_in, main, names, labels, rows))
    return boards


def _row(baseline: str, runs: list[Run], names: list[str], labels: list[str]) -> Row:
    records = [run.record for run in runs]
    per_class = {
        label: {f: Spread.of([getattr(r.per_class[label], f, None) for r in records if label in r.per_class])
                for f in PER_CLASS_FIELDS}
        for label in labels
    }
    support = {label: records[0].per_class[label].support for label in labels if label in records[0].per_class}
    return Row(
        baseline=baseline, seeds=[r.seed for r in records],
        metrics={m: Spread.of([r.metrics[m] for r in records]) for m in names},
        per_class=per_class, support=support, runs=runs,
    )
