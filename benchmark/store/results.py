"""Run records as a Python object: :func:`load_results` reads them, :class:`Results` selects, tabulates
(pandas) and compares them (after MTEB's ``ResultCache.load_results`` and ``BenchmarkResults``).

Every record is read by :func:`irbench.store.records.read_record`, the one record reader (strict: a record it
cannot validate is an error naming its file; older schemas are lifted). Nothing a record names is imported.

Each record is one run of one task, baseline, configuration (:mod:`irbench.run.configuration`) and seed. Its
``protocol`` (:func:`protocol_of`) says how its test scores became its metrics: the clip aggregation, the
kind of decision and the main score, e.g. ``s2 threshold, micro_f1``. Averaging over seeds and paired
comparisons only make sense between records of the same task version, protocol and data (dataset
fingerprint): :meth:`Results.to_dataframe` at ``level="mean"`` and :meth:`Results.compare` refuse records
that differ in any of them (:class:`MixedResultsError`) unless ``allow_mixed=True``, and even then never pool
them (each keeps rows of its own).
"""

from __future__ import annotations

import glob
import os
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from irbench.errors import DatasetLayoutError, DataNotFoundError
from irbench.store.results_compare import PairedComparison
from irbench.store.results_frame import Entry, MixedResultsError, configuration_labels, protocol_of, refuse_mixed

if TYPE_CHECKING:
    import pandas

    from irbench.store.records import RunRecord

__all__ = ["MixedResultsError", "PairedComparison", "Results", "load_results", "protocol_of"]


class Results:
    """Run records with their files and configurations.

    Parameters
    ----------
    runs: ``(record, path)`` pairs (``path`` ``None`` for a record held only in memory), or records.

    ``len(results)`` counts records; iterating yields the records (``RunRecord``); ``results.entries`` holds
    :class:`Entry` objects.
    """

    def __init__(self, runs: Iterable[RunRecord | tuple[RunRecord, Path | None]] = ()):
        from irbench.run.configuration import of_record
        from irbench.store.records import RunRecord

        found = []
        for run in runs:
            record, path = (run, None) if isinstance(run, RunRecord) else run
            found.append((record, Path(path) if path is not None else None, of_record(record)))
        labels = configuration_labels([configuration for _, _, configuration in found])
        self.entries: tuple[Entry, ...] = tuple(Entry(r, p, c, labels[c.baseline, c.digest]) for r, p, c in found)

    @classmethod
    def _of(cls, entries: Iterable[Entry]) -> Results:
        """A selection of entries, their labels kept (a selection reads as the whole did)."""
        made = cls()
        made.entries = tuple(entries)
        return made

    @property
    def records(self) -> list[RunRecord]:
        """The records, in order."""
        return [entry.record for entry in self.entries]

    @property
    def paths(self) -> list[Path | None]:
        """Each record's file (``None`` for a record held only in memory), in order."""
        return [entry.path for entry in self.entries]

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(self.records)

    def __repr__(self) -> str:
        rows = Counter((e.record.task, e.record.baseline, e.label) for e in self.entries)
        shown = "; ".join(f"{t}/{b} ({c}): {n} seed(s)" for (t, b, c), n in list(rows.items())[:5])
        count = f"{len(self)} record{'' if len(self) == 1 else 's'}"
        return f"Results({count}{': ' + shown if shown else ''}{'; ...' if len(rows) > 5 else ''})"

    def select(self, task=None, baseline=None, configuration=None, seed=None, task_version=None,
               protocol=None, stand_in: bool | None = None, dataset_fingerprint=None, device=None) -> Results:
        """The records that match every criterion given (``None``: any); each takes one value or a list.

        Parameters
        ----------
        task, baseline, task_version, protocol, device: exact names (``protocol`` as :func:`protocol_of`).
        configuration: a label (``default``, ``max_epochs=10``) or the start of a digest (at least 4 hex digits).
        seed: seed numbers. stand_in: stand-in (``True``) or real data (``False``).
        dataset_fingerprint: the start of a fingerprint (at least 4 hex digits).

        Returns a (possibly empty) :class:`Results`.
        """
        def wanted(value) -> list | None:
            if value is None:
                return None
            return [value] if isinstance(value, (str, int, bool)) else list(value)

        def prefix(value: str, given: list) -> bool:
            return any(len(str(g)) >= 4 and value.startswith(str(g)) for g in given)

        criteria = {"task": wanted(task), "baseline": wanted(baseline), "seed": wanted(seed),
                    "task_version": wanted(task_version), "protocol": wanted(protocol),
                    "stand_in": wanted(stand_in), "device": wanted(device)}
        configurations, fingerprints = wanted(configuration), wanted(dataset_fingerprint)
        kept: list[Entry] = []
        for entry in self.entries:
            row = entry.identity()
            if any(given is not None and row[key] not in given for key, given in criteria.items()):
                continue
            if configurations is not None and not (row["configuration"] in configurations
                                                   or prefix(row["configuration_digest"], configurations)):
                continue
            if fingerprints is not None and not prefix(row["dataset_fingerprint"], fingerprints):
                continue
            kept.append(entry)
        return Results._of(kept)

    def to_dataframe(self, level: str = "run", format: str = "long", allow_mixed: bool = False) -> pandas.DataFrame:
        """The records as a table (a pandas ``DataFrame``).

        Parameters
        ----------
        level: ``"run"``: one row per record and metric; ``"mean"``: one row per task, baseline,
            configuration (and task version, protocol, data) and metric, over its seeds; ``"per_class"``: one
            row per record, class and per-class figure.
        format: ``"long"`` (one value per row) or ``"wide"`` (one column per metric, or per per-class figure).
        allow_mixed: at ``level="mean"``, accept records of one task with different task versions, protocols or
            dataset fingerprints (each still gets rows of its own).

        Columns (long)
        --------------
        run: task, task_version, protocol, track (``supervised``, ``probe-v1`` or ``zero-shot``:
            :func:`irbench.store.tracks.track_of`), baseline, configuration (its label), configuration_digest (12 hex
            digits), seed, metric, value, is_main (the record's main score), n_test (test clips), stand_in,
            dataset_fingerprint, device (where it ran), irbench_version, path (the record file; "" in memory).
        mean: the same without seed, value and path; instead mean, std (sample standard deviation over seeds,
            NaN for one seed), n_seeds and seeds (``"0,1,2"``); device and irbench_version list the distinct
            values (``"cpu,cuda"``).
        per_class: the run columns with label (the class), metric (precision, recall, f1, true_positives,
            false_positives, false_negatives and what the protocol adds, e.g. ap) and support (the class's
            positive test clips). A class without support has no precision, recall or f1 row (they are
            undefined, never 0), while its false positives still count.

        Wide: the identifying columns, then one column per metric (main score first; at ``level="mean"``
        each metric's mean under its name and its std as ``<metric>_std``) or, per class, one per figure.

        Raises
        ------
        ValueError: an unknown ``level`` or ``format``.
        MixedResultsError: at ``level="mean"``, mixed records without ``allow_mixed`` (names them).
        IrbenchError: at ``level="mean"``, two records of one row and seed (names both files).
        """
        from irbench.store.results_frame import frame

        if level not in ("run", "mean", "per_class"):
            raise ValueError(f"level must be 'run', 'mean' or 'per_class', not {level!r}")
        if format not in ("long", "wide"):
            raise ValueError(f"format must be 'long' or 'wide', not {format!r}")
        if level == "mean" and not allow_mixed:
            refuse_mixed(self.entries, "average")
        return frame(self.entries, level, format)

    def compare(self, a: str | Mapping[str, Any] | Results, b: str | Mapping[str, Any] | Results,
                metric: str | None = None, allow_mixed: bool = False) -> PairedComparison:
        """Row ``a`` minus row ``b`` by the report's paired bootstrap over the same test units.

        Parameters
        ----------
        a, b: one row each (one task, baseline and configuration, any number of seeds): a baseline name (when
            that baseline has one configuration here), a mapping of :meth:`select` criteria
            (``{"baseline": "vgg", "configuration": "max_epochs=10"}``) or a :class:`Results`.
        metric: a metric the report can recompute from predictions files (``accuracy``, ``micro_f1``,
            ``macro_f1``, ``map``); default: b's main score.
        allow_mixed: compare rows of different task versions, protocols or dataset fingerprints.

        The records' predictions files (beside them) are read; each run's score recomputed from its file must
        match its record, as in the report. Returns a :class:`PairedComparison`.

        Raises
        ------
        IrbenchError: a side matches no record or several rows, the two are the same row or of different tasks,
            the metric cannot be recomputed or is missing, or predictions are missing, unreadable or
            disagree with their records (the message says which).
        MixedResultsError: mixed task versions, protocols or fingerprints without ``allow_mixed``.
        """
        from irbench.store.results_compare import paired

        sides = [a if isinstance(a, Results) else self.select(**(a if isinstance(a, Mapping) else {"baseline": a})),
                 b if isinstance(b, Results) else self.select(**(b if isinstance(b, Mapping) else {"baseline": b}))]
        return paired(sides[0].entries, sides[1].entries, (a, b), metric, allow_mixed)


def load_results(paths: str | os.PathLike | Iterable[str | os.PathLike], skip_invalid: bool = False) -> Results:
    """Read run records into a :class:`Results`.

    Parameters
    ----------
    paths: one or several of: a results folder (every ``seed-<n>.json`` of
        ``<task>/<baseline>/<configuration>/`` and the legacy ``<task>/<baseline>/``, or, for a folder
        deeper in that tree, every record below it), a glob pattern (``results/irmas/*/*/seed-*.json``;
        ``**`` recurses; matching folders are searched, matching files kept when named ``seed-<n>.json``),
        or a record file (read whatever its name). A record reached twice is read once.
    skip_invalid: warn (``UserWarning``) about a record that cannot be read and go on, instead of raising.

    Raises
    ------
    DataNotFoundError: a path that does not exist, a pattern that matches nothing, or no record at all.
    DatasetLayoutError: a record that is not a valid run record (names the file), unless ``skip_invalid``.
    """
    from irbench.store.records import read_record

    files = _record_files(paths)
    runs = []
    for path in files:
        try:
            runs.append((read_record(path), path))
        except DatasetLayoutError as error:
            if not skip_invalid:
                raise
            warnings.warn(f"{error}; skipped", UserWarning, stacklevel=2)
    return Results(runs)


def _record_files(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[Path]:
    """The record files ``paths`` name (see :func:`load_results`), each once, in the order found."""
    from irbench.store.records import RECORD_NAME, find_records

    given = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found: dict[Path, None] = {}

    def folder(root: Path) -> list[Path]:
        return find_records(root) or sorted(
            p for p in root.rglob("seed-*.json")
            if RECORD_NAME.fullmatch(p.name) and not any(part.startswith(".") for part in p.relative_to(root).parts))

    for item in given:
        text = os.path.expanduser(os.fspath(item))
        if glob.has_magic(text):
            matches = [Path(m) for m in sorted(glob.glob(text, recursive=True))]
            if not matches:
                raise DataNotFoundError(f"no file or folder matches {text}")
            for match in matches:
                for path in (folder(match) if match.is_dir() else [match] if RECORD_NAME.fullmatch(match.name) else []):
                    found.setdefault(path.resolve(), None)
        elif Path(text).is_dir():
            for path in folder(Path(text)):
                found.setdefault(path.resolve(), None)
        elif Path(text).is_file():
            found.setdefault(Path(text).resolve(), None)
        else:
            raise DataNotFoundError(f"{text}: no such file or folder (give a results folder, a glob pattern or "
                                    "a run record)")
    if not found:
        shown = ", ".join(os.fspath(item) for item in given) or "(no path given)"
        raise DataNotFoundError(f"no run records in {shown}; run e.g. irbench.evaluate(...) or `irbench run` first")
    return list(found)
