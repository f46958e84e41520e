"""From run records to leaderboard tables: mean and sample standard deviation over seeds, per baseline."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from irbench.records import RunRecord

PREFERRED_METRICS = (
    "accuracy", "balanced_accuracy", "map", "micro_f1", "macro_f1", "micro_precision", "micro_recall",
    "macro_precision", "macro_recall", "lrap", "top1_hit_rate", "hamming_loss", "s1_micro_f1", "s1_macro_f1",
)
PER_CLASS_FIELDS = ("precision", "recall", "f1", "ap")


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
class Row:
    """One baseline on one task: metric spreads, per-class spreads, seeds and provenance of each run."""

    baseline: str
    seeds: list[int]
    metrics: dict[str, Spread]
    per_class: dict[str, dict[str, Spread | None]]
    support: dict[str, int]
    runs: list[RunRecord] = field(default_factory=list)


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


def leaderboards(records: list[RunRecord]) -> list[Leaderboard]:
    """Group records by (task, task version, stand-in or real), then by baseline.

    Stand-in and real results never share a table. Only metrics present in every record of a table are
    shown, main score first.
    """
    groups: dict[tuple[str, str, bool], list[RunRecord]] = defaultdict(list)
    for record in records:
        groups[(record.task, record.task_version, record.stand_in)].append(record)
    boards = []
    for (task, version, stand_in), members in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1])):
        main = members[0].main_score
        common = set.intersection(*(set(r.metrics) for r in members))
        names = [main] + [m for m in PREFERRED_METRICS if m in common and m != main]
        names += sorted(common - set(names))
        labels = list(members[0].per_class)
        by_baseline: dict[str, list[RunRecord]] = defaultdict(list)
        for record in members:
            by_baseline[record.baseline].append(record)
        rows = [_row(name, sorted(runs, key=lambda r: r.seed), names, labels) for name, runs in by_baseline.items()]
        rows.sort(key=lambda row: -row.metrics[main].mean)
        boards.append(Leaderboard(task, version, stand_in, main, names, labels, rows))
    return boards


def _row(baseline: str, runs: list[RunRecord], names: list[str], labels: list[str]) -> Row:
    per_class = {
        label: {
            f: Spread.of([getattr(r.per_class[label], f, None) for r in runs if label in r.per_class])
            for f in PER_CLASS_FIELDS
        }
        for label in labels
    }
    support = {label: runs[0].per_class[label].support for label in labels if label in runs[0].per_class}
    return Row(
        baseline=baseline, seeds=[r.seed for r in runs],
        metrics={m: Spread.of([r.metrics[m] for r in runs]) for m in names},
        per_class=per_class, support=support, runs=runs,
    )
