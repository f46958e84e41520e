"""The records of a :class:`irbench.store.results.Results` (:class:`Entry`), their configuration labels, the check
that refuses pooling records made under different conditions, and the tables of
:meth:`irbench.store.results.Results.to_dataframe` (pandas), long and wide, per run, per class or averaged over
seeds. Column meanings: that method's docstring; besides them, every table has a ``track`` column
(supervised, probe-v1 or zero-shot: :mod:`irbench.store.tracks`) after ``protocol``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from irbench.errors import IrbenchError

if TYPE_CHECKING:
    import pandas

    from irbench.run.configuration import Configuration
    from irbench.store.records import RunRecord

__all__ = ["CONDITIONS", "Entry", "GROUP", "MEAN_LONG", "MixedResultsError", "PER_CLASS_LONG", "RUN_ID", "RUN_LONG",
           "configuration_labels", "frame", "protocol_of", "refuse_mixed"]
CONDITIONS = ("task_version", "protocol", "dataset_fingerprint")
"""What records must share to be averaged or compared (besides the task)."""
RUN_ID = ["task", "task_version", "protocol", "track", "baseline", "configuration", "configuration_digest", "seed",
          "n_test", "stand_in", "dataset_fingerprint", "device", "irbench_version", "path"]
"""The columns that identify one record. ``track``: supervised, probe-v1 or zero-shot
(:func:`irbench.store.tracks.track_of`); a baseline belongs to one track, so rows never pool across tracks."""
GROUP = ["task", "task_version", "protocol", "track", "baseline", "configuration", "configuration_digest", "stand_in",
         "dataset_fingerprint"]
"""The columns of one averaged row: everything but the seed and where each seed ran."""
_BEFORE_METRIC = RUN_ID[:RUN_ID.index("n_test")]
_THROUGH_SEED = RUN_ID[:RUN_ID.index("seed") + 1]
RUN_LONG = [*_BEFORE_METRIC, "metric", "value", "is_main", *RUN_ID[len(_BEFORE_METRIC):]]
PER_CLASS_LONG = [*_BEFORE_METRIC, "label", "metric", "value", "support", *RUN_ID[len(_BEFORE_METRIC):]]
MEAN_LONG = [*GROUP[:GROUP.index("configuration_digest") + 1], "metric", "mean", "std", "n_seeds", "seeds", "is_main",
             "n_test", "stand_in", "dataset_fingerprint", "device", "irbench_version"]


class MixedResultsError(IrbenchError, ValueError):
    """Records of one task with different task versions, protocols or dataset fingerprints were to be
    averaged or compared; the message lists them and says how to select one or allow it."""


def protocol_of(record: RunRecord) -> str:
    """How ``record``'s test scores became its metrics: ``"<aggregation> <threshold|arg-max>, <main score>"``,
    e.g. ``"s2 threshold, micro_f1"`` (IRMAS) or ``"s1 arg-max, accuracy"`` (Medley-solos-DB)."""
    rule = record.threshold
    return f"{rule.aggregation} {'threshold' if rule.value is not None else 'arg-max'}, {record.main_score}"


@dataclass(frozen=True)
class Entry:
    """One record of a :class:`Results`: the record, its file (``None`` for one built in memory), its
    configuration (:func:`irbench.run.configuration.of_record`) and that configuration's label in this table
    (:func:`configuration_labels`)."""

    record: RunRecord
    path: Path | None
    configuration: Configuration
    label: str

    def identity(self) -> dict[str, Any]:
        """The record's columns of a results table, in order (see :meth:`Results.to_dataframe`; ``track`` as
        :func:`irbench.store.tracks.track_of`).

        Raises ``UnknownTrackError`` naming the record's file when its track note is not one irbench knows
        (a record is untrusted: its track is refused, never guessed)."""
        from irbench.store.tracks import UnknownTrackError, track_of

        record, provenance = self.record, self.record.provenance
        try:
            track = track_of(record)
        except UnknownTrackError as error:
            raise UnknownTrackError(f"{self.path or 'a record in memory'}: {error}") from error
        return {
            "task": record.task, "task_version": record.task_version, "protocol": protocol_of(record),
            "track": track, "baseline": record.baseline, "configuration": self.label,
            "configuration_digest": self.configuration.digest, "seed": record.seed, "n_test": record.n_test,
            "stand_in": record.stand_in, "dataset_fingerprint": provenance.dataset_fingerprint,
            "device": provenance.device, "irbench_version": provenance.irbench_version,
            "path": str(self.path) if self.path is not None else "",
        }


def configuration_labels(configurations: Iterable[Configuration]) -> dict[tuple[str, str], str]:
    """``(baseline, digest) -> label`` of each distinct configuration: its own label
    (:attr:`~irbench.run.configuration.Configuration.label`), unless two configurations of one baseline would read
    alike (a baseline not registered here has no known defaults, so every configuration of it reads
    ``default``): then the settings they differ in, as the report labels its rows
    (:func:`irbench.report.configuration.differing_settings`)."""
    from irbench.report.configuration import differing_settings

    by_baseline: dict[str, dict[str, Configuration]] = {}
    for configuration in configurations:
        by_baseline.setdefault(configuration.baseline, {})[configuration.digest] = configuration
    labels = {}
    for baseline, found in by_baseline.items():
        ordered = sorted(found.values(), key=lambda c: (c.label, c.digest))
        own = [c.label for c in ordered]
        if len(set(own)) < len(own):
            differing = differing_settings([c.settings for c in ordered])
            own = [", ".join(f"{k}={v}" for k, v in changes.items()) or c.label for c, changes in zip(ordered, differing)]
        labels.update({(baseline, c.digest): label for c, label in zip(ordered, own)})
    return labels


def refuse_mixed(entries: Iterable[Entry], doing: str) -> None:
    """Raise :class:`MixedResultsError` when records of one task differ in task version, protocol or
    dataset fingerprint; ``doing`` is the verb for the message (``average``, ``compare``)."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        by_task.setdefault(entry.record.task, []).append(entry.identity())
    for task, rows in by_task.items():
        differing = []
        for key in CONDITIONS:
            counts = Counter(str(row[key]) for row in rows)
            if len(counts) > 1:
                shown = ", ".join(f"{value[:12]} ({n} record{'s' if n > 1 else ''})" for value, n in counts.items())
                differing.append(f"{key.replace('_', ' ')}s {shown}")
        if differing:
            example = next(k for k in CONDITIONS if len({str(r[k]) for r in rows}) > 1)
            value = str(rows[-1][example])[: 12 if example == "dataset_fingerprint" else None]
            raise MixedResultsError(
                f"cannot {doing} records of task {task} made under different conditions: {'; '.join(differing)}. "
                f"Select one, e.g. .select({example}={value!r}), or pass allow_mixed=True (each keeps rows of "
                "its own; they are never pooled)")


def frame(entries: Sequence[Entry], level: str, format: str) -> pandas.DataFrame:
    """The table of ``entries`` at ``level`` (``run``, ``mean``, ``per_class``) in ``format`` (``long``,
    ``wide``). Raises ``IrbenchError`` at ``level="mean"`` when two records share a row and a seed."""
    if level == "per_class":
        long = _per_class(entries)
        return _public(long) if format == "long" else _pivot(long, [*_THROUGH_SEED, "label", "support",
                                                                     *RUN_ID[len(_THROUGH_SEED):]])
    if level == "mean":
        _refuse_repeated_seeds(entries)
        return _mean_long(entries) if format == "long" else _mean_wide(entries)
    long = _run_long(entries)
    return _public(long) if format == "long" else _pivot(long, RUN_ID)


def _public(long: pandas.DataFrame) -> pandas.DataFrame:
    """``long`` without its ``_entry`` column (which record each row came from, for pivoting)."""
    return long.drop(columns="_entry").reset_index(drop=True)


def _run_long(entries: Sequence[Entry]) -> pandas.DataFrame:
    import pandas as pd

    rows = [{**entry.identity(), "metric": name, "value": float(value), "is_main": name == entry.record.main_score,
             "_entry": i}
            for i, entry in enumerate(entries) for name, value in _main_first(entry.record.metrics, entry.record.main_score)]
    return pd.DataFrame(rows, columns=[*RUN_LONG, "_entry"])


def _per_class(entries: Sequence[Entry]) -> pandas.DataFrame:
    """One row per record, class and numeric per-class figure (``support`` is a column, ``None`` is no row)."""
    import pandas as pd

    rows = []
    for i, entry in enumerate(entries):
        identity = {**entry.identity(), "_entry": i}
        for label, figures in entry.record.per_class.items():
            values = figures.model_dump()
            support = values.pop("support")
            for name, value in values.items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    rows.append({**identity, "label": label, "metric": name, "value": float(value), "support": support})
    return pd.DataFrame(rows, columns=[*PER_CLASS_LONG, "_entry"])


def _mean_long(entries: Sequence[Entry]) -> pandas.DataFrame:
    import pandas as pd

    long = _run_long(entries)
    if long.empty:
        return pd.DataFrame(columns=MEAN_LONG)
    grouped = long.groupby([*GROUP, "metric"], sort=False, dropna=False)
    out = grouped.agg(
        mean=("value", "mean"), std=("value", "std"), n_seeds=("seed", "size"), seeds=("seed", _seeds),
        is_main=("is_main", "any"), n_test=("n_test", "first"), device=("device", _distinct),
        irbench_version=("irbench_version", _distinct),
    ).reset_index()
    return out[MEAN_LONG]


def _mean_wide(entries: Sequence[Entry]) -> pandas.DataFrame:
    """One row per averaged row: its metadata, then each metric's mean and ``<metric>_std``."""
    import pandas as pd

    runs = _pivot(_run_long(entries), RUN_ID)
    metrics = [c for c in runs.columns if c not in RUN_ID]
    if runs.empty:
        return pd.DataFrame(columns=[*GROUP, "n_seeds", "seeds", "n_test", "device", "irbench_version"])
    grouped = runs.groupby(GROUP, sort=False, dropna=False)
    meta = grouped.agg(n_seeds=("seed", "size"), seeds=("seed", _seeds), n_test=("n_test", "first"),
                       device=("device", _distinct), irbench_version=("irbench_version", _distinct))
    means, stds = grouped[metrics].mean(), grouped[metrics].std().add_suffix("_std")
    ordered = [column for metric in metrics for column in (metric, f"{metric}_std")]
    return pd.concat([meta, means, stds], axis=1)[[*meta.columns, *ordered]].reset_index()


def _pivot(long: pandas.DataFrame, index: list[str]) -> pandas.DataFrame:
    """``long`` with one ``value`` column per ``metric`` (in the order they first appear) beside the ``index``
    columns, one row per record (per class) in the order of the records."""
    import pandas as pd

    if long.empty:
        return pd.DataFrame(columns=index)
    order = list(dict.fromkeys(long["metric"]))
    wide = long.pivot(index=["_entry", *index], columns="metric", values="value")
    wide = wide[order].reset_index().sort_values("_entry", kind="stable").drop(columns="_entry")
    wide.columns.name = None
    return wide.reset_index(drop=True)


def _main_first(metrics: dict[str, float], main: str) -> list[tuple[str, float]]:
    return sorted(metrics.items(), key=lambda item: item[0] != main)


def _seeds(values) -> str:
    return ",".join(str(v) for v in sorted(values))


def _distinct(values) -> str:
    return ",".join(sorted({str(v) for v in values}))


def _refuse_repeated_seeds(entries: Sequence[Entry]) -> None:
    """Two records of one row and seed (e.g. a legacy copy beside a new one) would count twice in a mean."""
    counts = Counter((e.record.task, e.record.task_version, e.record.baseline, e.configuration.digest,
                      e.record.provenance.dataset_fingerprint, e.record.seed) for e in entries)
    repeated = [key for key, n in counts.items() if n > 1]
    if repeated:
        task, _, baseline, digest, _, seed = repeated[0]
        paths = [str(e.path) for e in entries if (e.record.task, e.record.baseline, e.configuration.digest,
                                                  e.record.seed) == (task, baseline, digest, seed)]
        raise IrbenchError(f"{len(paths)} records of {task}/{baseline} (configuration {digest[:8]}) seed {seed} "
                           f"would count twice in a mean: {', '.join(paths)}; load one of them")

