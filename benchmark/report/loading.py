"""Reading run records for the report, one bad file at a time.

Records may come from other machines, other irbench versions or other people. A record the report cannot
use costs a one-line warning naming its file, never the whole report: an unknown schema version, invalid
JSON or content, a task or baseline name that is unsafe in a file name or link (see
:mod:`irbench.report.safety`), a main score missing from its metrics or not a finite number. Metrics that
are not finite are dropped from their record (with a warning) instead of being ranked; keys the schema
does not know are ignored (with a warning). Only when no usable record remains is it an error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from irbench.errors import DatasetLayoutError, DataNotFoundError
from irbench import records
from irbench.records import RunRecord
from irbench.report.collect import Run
from irbench.report.safety import is_safe_name

KNOWN_SCHEMA_VERSIONS = frozenset(records.READABLE_SCHEMA_VERSIONS)
"""Schema versions the report reads (those :mod:`irbench.records` reads)."""
Warn = Callable[[str], None]


class SkipRecord(Exception):
    """A record the report cannot use; the message says why, in a few words."""


def _short(value: object, limit: int = 60) -> str:
    text = ascii(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_record(path: Path, warn: Warn) -> RunRecord:
    """One record, validated for the report.

    Parameters
    ----------
    path: a ``seed-<n>.json`` file.
    warn: called with a one-line message for what is repaired (unknown keys ignored, non-finite metrics
        dropped).

    Raises
    ------
    SkipRecord: the record cannot be used (the message says why).
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SkipRecord(f"not a valid irbench run record ({error})") from error
    if not isinstance(data, dict):
        raise SkipRecord("not a valid irbench run record (not a JSON object)")
    version = data.get("schema_version", "1")
    if not isinstance(version, str) or version not in KNOWN_SCHEMA_VERSIONS:
        raise SkipRecord(f"schema version {_short(version)} is unknown to this irbench (it reads "
                         f"{', '.join(sorted(KNOWN_SCHEMA_VERSIONS))})")
    data = records.migrate(data)  # as read_record does: older schemas lifted to the current one
    unknown = sorted(set(data) - set(RunRecord.model_fields))
    if unknown:
        warn(f"{path}: ignored key(s) this irbench does not know: {', '.join(_short(k, 30) for k in unknown)}")
        data = {k: v for k, v in data.items() if k not in unknown}
    try:
        record = RunRecord.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise SkipRecord(f"not a valid irbench run record ({error.error_count()} problem(s), first: "
                         f"{where}: {first.get('msg', '')})") from error
    for field in ("task", "baseline"):
        if not is_safe_name(getattr(record, field)):
            raise SkipRecord(f"{field} name {_short(getattr(record, field))} is not a valid name "
                             "(lower-case letters, digits, '.', '_', '-')")
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
