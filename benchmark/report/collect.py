"""From run records to leaderboards: one row per baseline and configuration, mean and sample standard
deviation over its seeds.

A task's runs are grouped by (task, protocol version, stand-in or real data, track: supervised, probe-v1
or zero-shot, :mod:`irbench.store.tracks`), so runs of different tracks never share a table, a ranking or
a paired comparison; within a group, by baseline and configuration (:mod:`irbench.run.configuration`, the one definition the run and the sweep use too): a VGG at
5 epochs and one at 40 are two rows.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from irbench.run.configuration import of_record
from irbench.evaluation.metric_registry import lower_is_better
from irbench.store.records import RunRecord
from irbench.store.tracks import SUPERVISED, TRACKS, track_label, track_of, unmapped_classes
from irbench.report import configuration

PREFERRED_METRICS = (
    "accuracy", "balanced_accuracy", "map", "micro_f1", "macro_f1", "micro_precision", "micro_recall",
    "macro_precision", "macro_recall", "lrap", "top1_hit_rate", "hamming_loss", "s1_micro_f1", "s1_macro_f1",
)
PER_CLASS_FIELDS = ("precision", "recall", "f1", "ap")
COUNT_FIELDS = ("true_positives", "false_positives", "false_negatives")
FLOOR = "constant"
HTML_COLUMNS = 6


@dataclass
class Spread:
    """Mean and sample standard deviation (``None`` for a single seed) of one metric over ``n`` seeds."""

    mean: float
    std: float | None
    n: int

    @classmethod
    def of(cls, values: list[float | None]) -> Spread | None:
        """Spread of the values that are not ``None`` (no support); ``None`` when there are none."""
        present = [float(v) for v in values if v is not None]
        if not present:
            return None
        mean = statistics.fmean(present)
        if len(present) == 1:
            return cls(mean, None, 1)
        # the sample standard deviation with correctly rounded sums (math.fsum): within a few ulp of
        # statistics.stdev, which computes in exact fractions at 14 times the cost (1.4 of a 1,000-record
        # report's CPU-s)
        return cls(mean, math.sqrt(math.fsum((v - mean) ** 2 for v in present) / (len(present) - 1)), len(present))


@dataclass
class Run:
    """One record and where it lies (its predictions and checkpoint sit beside it)."""

    record: RunRecord
    path: Path

    @property
    def predictions(self) -> Path:
        """The per-clip predictions CSV (only ever a file beside the record, whatever the record says)."""
        return self.path.with_name(Path(self.record.predictions_file).name or "missing")


@dataclass
class Comparison:
    """A row against the best row, paired over the same test units (:mod:`irbench.report.paired`).

    difference: main score of the row minus that of the best row on the whole test set (means over seeds).
    low, high: percentile interval of the difference over resampled test units (seeds averaged inside
        each resample, so it reflects test-set sampling only).
    seed_std: sample standard deviation over the seeds both rows ran of the per-seed difference on the
        whole test set; ``None`` with fewer than two shared seeds (``n_seed_pairs``).
    """

    difference: float
    low: float
    high: float
    seed_std: float | None
    n_seed_pairs: int
    reference: bool = False

    @property
    def excludes_zero(self) -> bool:
        """Whether the interval excludes 0: the rows differ beyond test-set sampling."""
        return not self.reference and (self.low > 0 or self.high < 0)


@dataclass
class Row:
    """One baseline and configuration on one task: metric spreads, per-class spreads, its runs (seed order).

    ``configuration`` holds the settings in which this row differs from the baseline's defaults
    (:attr:`irbench.run.configuration.Configuration.changes`; empty for the defaults); ``digest`` is 8 digits of the
    configuration's digest. ``track_note``: what produced a probe or zero-shot row
    (:func:`irbench.store.tracks.track_label`: embedder or tagger, short weights hash, protocol; empty for
    supervised rows); ``unmapped``: the classes a zero-shot row's label map leaves out.
    """

    baseline: str
    seeds: list[int]
    metrics: dict[str, Spread]
    per_class: dict[str, dict[str, Spread | None]]
    support: dict[str, int]
    runs: list[Run] = field(default_factory=list)
    configuration: dict[str, str] = field(default_factory=dict)
    digest: str = ""
    comparison: Comparison | None = None
    comparison_note: str = ""
    track_note: str = ""
    unmapped: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """``vgg`` or, when the baseline has several configurations, ``vgg (max_epochs=5)``."""
        if not self.configuration:
            return self.baseline
        return f"{self.baseline} ({', '.join(f'{k}={v}' for k, v in self.configuration.items())})"

    @property
    def slug(self) -> str:
        """A safe HTML id for the row (:func:`irbench.report.safety.html_id`): its baseline name, plus the
        configuration digest when it has several, plus 8 hex digits of the track note's SHA-1 when it has
        one (``probe:hear:x`` has a ``:``, which an id or link must not carry raw)."""
        import hashlib

        from irbench.report.safety import html_id

        note = hashlib.sha1(self.track_note.encode("utf-8", "surrogatepass")).hexdigest()[:8] if self.track_note else ""
        return html_id(*(part for part in (self.baseline, self.digest if self.configuration else "", note) if part))

    @property
    def is_floor(self) -> bool:
        """The constant predictor: the floor every other row should clear."""
        return self.baseline == FLOOR

    @property
    def devices(self) -> list[str]:
        """The devices its seeds ran on (CPU and GPU seeds of one configuration pool)."""
        return sorted({run.record.provenance.device for run in self.runs})


@dataclass
class PairedInfo:
    """How a board's paired comparisons were made, or why they could not be."""

    resamples: int = 0
    unit: str = "clip"
    n_units: int = 0
    note: str = ""


@dataclass
class Leaderboard:
    """Rows of one task and track on real data or on a stand-in, sorted by the main score (best first).

    ``metric_names``: every metric present in all records, main score first. ``columns``: the main table's
    metrics (the report's ``--metrics`` choice, or the task's defaults). ``classes_without_support``:
    labels with no positive test clip. ``track``: one of :data:`irbench.store.tracks.TRACKS`.
    """

    task: str
    task_version: str
    stand_in: bool
    main_score: str
    metric_names: list[str]
    labels: list[str]
    rows: list[Row]
    classes_without_support: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    paired: PairedInfo | None = None
    track: str = SUPERVISED

    @property
    def headline(self) -> list[str]:
        """The HTML leaderboard's columns: the chosen columns, else the main score and up to five others."""
        return self.columns or self.metric_names[:HTML_COLUMNS]

    @property
    def single_label(self) -> bool:
        """Whether the protocol decides one class per clip (confusion matrices apply)."""
        return any(run.record.extra.confusion_matrix is not None for row in self.rows for run in row.runs)

    @property
    def best(self) -> Row:
        """The best row by the main score (the first)."""
        return self.rows[0]

    @property
    def max_seeds(self) -> int:
        """The most seeds of any row."""
        return max(len(row.seeds) for row in self.rows)


def leaderboards(runs: list[Run], clip_counts=None) -> list[Leaderboard]:
    """Group runs by (task, task version, stand-in or real, track), then by baseline and configuration.

    Parameters
    ----------
    runs: validated runs (:func:`irbench.report.loading.load_runs`).
    clip_counts: optional ``clip_counts(run, labels) -> {count field: (n_classes,) array} | None``, used
        for per-class TP/FP/FN when a record predates them (read from its predictions file).

    Stand-in and real results never share a table, nor do tracks (boards come task by task, real data
    before stand-in, then by version and in :data:`~irbench.store.tracks.TRACKS` order). Only metrics present
    in every record of a table are shown, main score first; rows are sorted best first (lowest first for
    losses). Raises ``UnknownTrackError`` for a record with an unknown track (the report's loading skips
    those first).
    """
    groups: dict[tuple[str, str, bool, str], list[Run]] = defaultdict(list)
    for run in runs:
        groups[(run.record.task, run.record.task_version, run.record.stand_in, track_of(run.record))].append(run)
    boards = []
    order = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][1], TRACKS.index(kv[0][3])))
    for (task, version, stand_in, track), members in order:
        main = members[0].record.main_score
        members = [run for run in members if main in run.record.metrics]
        common = set.intersection(*(set(r.record.metrics) for r in members))
        names = [main] + [m for m in PREFERRED_METRICS if m in common and m != main]
        names += sorted(m for m in common - set(names) if not m.startswith("s1_"))
        labels = list(dict.fromkeys(label for run in members for label in run.record.per_class))
        rows = _rows(members, names, labels, clip_counts)
        sign = 1 if lower_is_better(main) else -1
        rows.sort(key=lambda row: (sign * row.metrics[main].mean, row.label))
        boards.append(Leaderboard(task, version, stand_in, main, names, labels, rows, _without_support(members, labels),
                                  track=track))
    return boards


def _rows(members: list[Run], names: list[str], labels: list[str], clip_counts) -> list[Row]:
    """One row per baseline, configuration (:func:`irbench.run.configuration.of_record`) and track note
    (a probe's embedder and weights: seeds of different weights never pool), labelled by the settings that
    differ from the baseline's defaults; rows of one baseline whose labels would read alike (a baseline not
    registered here has no known defaults) are labelled by the settings they differ in."""
    by_config: dict[tuple[str, str, str], list[Run]] = defaultdict(list)
    found_configuration = {}
    for run in members:
        config = of_record(run.record)
        note = track_label(run.record) if track_of(run.record) != SUPERVISED else ""
        key = (run.record.baseline, config.digest, note)
        by_config[key].append(run)
        found_configuration[key] = config
    per_baseline: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for key in by_config:
        per_baseline[key[0]].append(key)
    rows = []
    for baseline, keys in per_baseline.items():
        keys.sort(key=lambda k: (found_configuration[k].label, k[1], k[2]))
        changes = [dict(found_configuration[k].changes) for k in keys]
        if len({tuple(c.items()) for c in changes}) < len(keys):
            changes = configuration.differing_settings([found_configuration[k].settings for k in keys])
        for key, differing in zip(keys, changes):
            found = sorted(by_config[key], key=lambda r: (r.record.seed, str(r.path)))
            row = _row(baseline, found, names, labels, clip_counts)
            row.configuration, row.digest, row.track_note = differing, key[1][:8], key[2]
            row.unmapped = unmapped_classes(found[0].record)
            rows.append(row)
    return rows


def _counts(run: Run, labels: list[str], clip_counts) -> dict[str, dict[str, float | None]]:
    """Per class TP/FP/FN of one run: from its record, else from its predictions file, else ``None``."""
    out = {label: {f: getattr(run.record.per_class.get(label), f, None) for f in COUNT_FIELDS} for label in labels}
    if all(out[label][f] is not None for label in labels for f in COUNT_FIELDS) or clip_counts is None:
        return out
    computed = clip_counts(run, labels)
    if computed is None:
        return out
    return {label: {f: (out[label][f] if out[label][f] is not None else float(np.asarray(computed[f])[i]))
                    for f in COUNT_FIELDS} for i, label in enumerate(labels)}


def _row(baseline: str, runs: list[Run], names: list[str], labels: list[str], clip_counts) -> Row:
    records = [run.record for run in runs]
    counts = [_counts(run, labels, clip_counts) for run in runs]
    per_class = {
        label: {f: Spread.of([getattr(r.per_class.get(label), f, None) for r in records]) for f in PER_CLASS_FIELDS}
        | {f: Spread.of([c[label][f] for c in counts]) for f in COUNT_FIELDS}
        for label in labels
    }
    support = {label: max(r.per_class[label].support for r in records if label in r.per_class)
               for label in labels if any(label in r.per_class for r in records)}
    return Row(
        baseline=baseline, seeds=[r.seed for r in records],
        metrics={m: Spread.of([r.metrics[m] for r in records]) for m in names},
        per_class=per_class, support=support, runs=runs,
    )


def _without_support(members: list[Run], labels: list[str]) -> list[str]:
    """Labels with no positive test clip: as the records list them, else those with support 0."""
    listed: set[str] = set()
    for run in members:
        listed.update(run.record.extra.classes_without_support)
        listed.update(label for label, m in run.record.per_class.items() if m.support == 0)
    return [label for label in labels if label in listed]
