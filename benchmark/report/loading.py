"""Reading run records for the report, one bad file at a time.

Records may come from other machines, other irbench versions or other people. Each is read by
:func:`irbench.store.records.read_record`, the one record reader (strict: an unknown schema version, invalid JSON,
content that breaks the schema or keys it does not know are refused, older schemas are lifted); the report
adds its own checks. A record the report cannot use costs a one-line warning naming its file, never the
whole report: what ``read_record`` refuses, a task or baseline name that is unsafe in a file name or link
(see :mod:`irbench.report.safety`), a track note irbench does not know (:mod:`irbench.store.tracks`), a
main score missing from its metrics or not a finite number. Metrics that are not finite are dropped
from their record (with a warning) instead of being ranked. Only when no usable record remains is it an
error.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from irbench.store import records
from irbench.errors import DatasetLayoutError, DataNotFoundError
from irbench.store.records import RunRecord, read_record
from irbench.report.collect import Run
from irbench.report.safety import is_safe_baseline, is_safe_name
from irbench.store.tracks import UnknownTrackError, track_of

KNOWN_SCHEMA_VERSIONS = frozenset(records.READABLE_SCHEMA_VERSIONS)
"""Schema versions the report reads (those :mod:`irbench.store.records` reads)."""
Warn = Callable[[str], None]


class SkipRecord(Exception):
    """A record the report cannot use; the message says why, in a few words."""


def _short(value: object, limit: int = 60) -> str:
    text = ascii(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _why(path: Path, error: DatasetLayoutError) -> str:
    """One line saying why ``read_record`` refused ``path``: its first validation problem (of how many), or
    its own message without the file name (the warning names the file)."""
    cause = error.__cause__
    if isinstance(cause, ValidationError):
        first = cause.errors()[0]
        where = " ".join(".".join(str(p) for p in first.get("loc", ())).split())[:80]
        return (f"not a valid irbench run record ({cause.error_count()} problem(s), first: "
                f"{where}: {first.get('msg', '')})")
    text = str(error)
    prefix = f"{path}: "
    return " ".join((text[len(prefix):] if text.startswith(prefix) else text).split())


def parse_record(path: Path, warn: Warn) -> RunRecord:
    """One record, read by :func:`irbench.store.records.read_record` and checked for the report.

    Parameters
    ----------
    path: a ``seed-<n>.json`` file.
    warn: called with a one-line message for what is repaired (non-finite metrics other than the main score
        dropped).

    Raises
    ------
    SkipRecord: the record cannot be used (the message says why, on one line).
    """
    try:
        record = read_record(path)
    except DatasetLayoutError as error:
        raise SkipRecord(_why(Path(path), error)) from error
    if not is_safe_name(record.task):
        raise SkipRecord(f"task name {_short(record.task)} is not a valid name "
                         "(lower-case letters, digits, '.', '_', '-')")
    if not is_safe_baseline(record.baseline):
        raise SkipRecord(f"baseline name {_short(record.baseline)} is not a valid name (lower-case letters, "
                         "digits, '.', '_', '-'; or probe:/zero-shot: and ':'-separated parts)")
    try:
        track_of(record)
    except UnknownTrackError as error:
        raise SkipRecord(str(error)) from error
    if record.main_score not in record.metrics:
        raise SkipRecord(f"its main score {_short(record.main_score)} is missing from its metrics")
    bad = sorted(name for name, value in record.metrics.items() if not math.isfinite(value))
    if record.main_score in bad:
        raise SkipRecord(f"its main score {_short(record.main_score)} is not a finite number")
    if bad:
        warn(f"{path}: dropped metric(s) that are not finite numbers: {', '.join(_short(b, 30) for b in bad)}")
        record = record.model_copy(update={"metrics": {k: v for k, v in record.metrics.items() if k not in bad}})
    return record


def load_runs(paths: list[Path], warn: Warn) -> list[Run]:
    """Every usable record among ``paths`` as a :class:`Run`; each unusable one costs one ``warn`` line
    (``"<file>: <why>; skipped"``).

    Raises
    ------
    DatasetLayoutError: no record is usable and there was exactly one file (names it and why).
    DataNotFoundError: no record is usable among several files (lists why for each).
    """
    runs, problems = [], []
    for path in paths:
        try:
            runs.append(Run(parse_record(path, warn), Path(path)))
        except SkipRecord as why:
            problems.append((path, str(why)))
            warn(f"{path}: {why}; skipped")
    if runs or not problems:
        return runs
    if len(problems) == 1:
        raise DatasetLayoutError(*problems[0])
    listed = "; ".join(f"{p}: {why}" for p, why in problems)
    raise DataNotFoundError(f"none of the {len(problems)} run records is usable: {listed}")
