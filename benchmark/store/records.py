"""The run record: one JSON file per task, baseline, configuration and seed that says exactly what produced a
result.

Path: ``RESULTS_DIR/<task>/<baseline>/<configuration>/seed-<n>.json`` (the configuration's folder:
:mod:`irbench.run.configuration`; records in the older ``<task>/<baseline>/seed-<n>.json`` are still read) with ``seed-<n>.predictions.csv`` (per-clip scores
and decisions) and ``seed-<n>.ckpt`` (best weights) beside it. Written atomically; an existing record is
never replaced unless the caller asks.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from irbench.store.atomic import atomic_write_text
from irbench.errors import DatasetLayoutError, RecordExistsError, RecordLockedError
from irbench.store.record_parts import DecisionRule, ProtocolExtras, RunConfiguration, TrainingSummary, WindowSummary

SCHEMA_VERSION = "3"
# 2: per-class error counts, the bootstrap unit, window summary, shared stages and thread count (1 reads as 2)
# 3: training.best_epoch counts from 1 (it counted from 0); training.max_epochs and training.patience


def _epochs_from_one(content: dict[str, Any]) -> dict[str, Any]:
    """Schema 2 -> 3: ``training.best_epoch`` + 1 (schema 2 counted epochs from 0; ``epochs`` was already a
    count), and ``training.max_epochs`` and ``training.patience`` copied from the recorded training settings
    when they are there. Content that is not the expected shape is left for validation to name."""
    training = content.get("training")
    if isinstance(training, dict):
        training = dict(training)
        if isinstance(training.get("best_epoch"), int) and not isinstance(training["best_epoch"], bool):
            training["best_epoch"] += 1
        config = content.get("config")
        settings = config.get("training") if isinstance(config, dict) else None
        if isinstance(settings, dict):
            if "max_epochs" in settings:
                training.setdefault("max_epochs", settings["max_epochs"])
            if "patience" in settings and training.get("best_epoch") is not None:  # watched only with validation
                training.setdefault("patience", settings["patience"])
        content = {**content, "training": training}
    return {**content, "schema_version": "3"}


MIGRATIONS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "1": lambda content: {**content, "schema_version": "2"},  # 2 only added optional fields
    "2": _epochs_from_one,
}
"""Schema version -> a function that lifts a record's JSON content to the next version; ``read_record``
applies them in turn until the content is at ``SCHEMA_VERSION``. Add one whenever ``SCHEMA_VERSION`` changes."""
READABLE_SCHEMA_VERSIONS = (*MIGRATIONS, SCHEMA_VERSION)

MAX_RECORD_BYTES = 16 * 1024 * 1024
"""Largest run record read (bytes). Records irbench writes are tens of kB (measured: 11.5 kB for an IRMAS
probe record with its hyperparameter trials, 8 kB for a constant one; 20 OpenMIC classes, a 19-point
threshold curve and an 11 x 11 confusion matrix stay far under 100 kB): 16 MiB is over 1000 times that, room
for tens of thousands of skipped files listed, and still read and validated in about a second."""
MAX_RECORD_DEPTH = 32
"""Deepest nesting of objects and lists read (the deepest record measured: 8, a probe's selection trials)."""
MAX_NAME_CHARS = 256
"""Longest name read: every object key (class, metric, setting names) and the task, baseline, metric and
label names (the longest measured: 23). A name is drawn in plots and tables; 10 MB of it stalls a report."""
UNIT_RANGE = (0.0, 1.0)
"""Range of every registered metric (:data:`irbench.evaluation.metric_registry.METRICS`: F1, precision,
recall, mAP, LRAP, accuracy, ROC-AUC, Hamming loss, their ``s1_`` variants) and of per-class precision,
recall, F1, AP, ROC-AUC and accuracy."""
ROUNDING_SLACK = 1e-9
"""How far past ``UNIT_RANGE`` a value may lie from floating-point rounding alone (scikit-learn's average
precision of a perfect ranking can be ``1.0000000000000002``); anything further is refused."""


class ClassMetrics(BaseModel):
    """Per-class precision, recall, F1 (at the recorded decision rule) and support (test clips with the
    label); ``None`` where the class has no support in the test set. Protocols add fields (``ap``,
    ``roc_auc``, ``accuracy``)."""

    model_config = ConfigDict(extra="allow")

    precision: float | None
    recall: float | None
    f1: float | None
    support: int
    true_positives: int | None = None
    false_positives: int | None = None
    false_negatives: int | None = None


class Provenance(BaseModel):
    """Where a result came from: code, packages, device, data and time per stage (seconds).

    ``seconds`` holds every stage the run spent time in; ``shared_stages`` names those done once for several
    seeds of one command (their seconds are the shared cost, repeated in each seed's record).
    ``torch_threads`` is the intra-op thread count training ran with (CPU results can depend on it).
    ``executor`` says where the run ran: ``{"name": "cli"}`` for ``irbench run``, or the sweep's executor
    (``inline``, ``local``, ``slurm``) with the Slurm job and array ids when there are any."""

    model_config = ConfigDict(extra="allow")

    irbench_version: str
    git_revision: str | None
    packages: dict[str, str]
    python: str
    platform: str
    device: str
    device_name: str
    dataset_fingerprint: str
    data_home: str
    seconds: dict[str, float]
    shared_stages: list[str] = Field(default_factory=list)
    torch_threads: int | None = None
    executor: dict[str, str] = Field(default_factory=dict)
    command: str | None = None


class RunRecord(BaseModel):
    """One run: task and version, baseline and its full configuration, seed, metrics and provenance."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = SCHEMA_VERSION
    task: str
    task_version: str
    baseline: str
    config: RunConfiguration
    seed: int
    stand_in: bool
    stand_in_info: dict[str, Any] | None = None
    metrics: dict[str, float]
    main_score: str
    per_class: dict[str, ClassMetrics]
    threshold: DecisionRule
    n_test: int
    n_train: int
    n_validation: int
    training: TrainingSummary
    windows: WindowSummary | None = None
    extra: ProtocolExtras = Field(default_factory=ProtocolExtras)
    confidence_intervals: dict[str, dict[str, Any]] = Field(default_factory=dict)
    skipped_files: list[dict[str, str]] = Field(default_factory=list)
    predictions_file: str
    checkpoint_file: str | None
    provenance: Provenance

    @field_validator("predictions_file", "checkpoint_file")
    @classmethod
    def _plain_file_name(cls, name: str | None) -> str | None:
        """A file beside the record: a plain name (no folder, not ``.`` or ``..``), or ``None`` (no
        checkpoint)."""
        if name is None:
            return None
        if not name or name in (".", "..") or any(c in name for c in "/\\\0") or len(name) > 255:
            raise ValueError(f"{name[:80]!r} is not a plain file name beside the record")
        return name

    @field_validator("task", "task_version", "baseline", "main_score")
    @classmethod
    def _short_name(cls, name: str) -> str:
        """A name of at most ``MAX_NAME_CHARS`` characters."""
        if len(name) > MAX_NAME_CHARS:
            raise ValueError(f"a name of {len(name)} characters (at most {MAX_NAME_CHARS})")
        return name

    @model_validator(mode="after")
    def _plausible_values(self) -> RunRecord:
        """Registered metrics and per-class scores in ``UNIT_RANGE``, class names short. A non-finite
        value is left to the reader (``irbench report`` drops such a metric with a warning, and skips the
        record when it is the main score); a finite one out of range (``micro_f1 = 1e308``) is refused."""
        from irbench.evaluation.metric_registry import metric

        low, high = UNIT_RANGE

        def out_of_range(value: Any) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
                and not low - ROUNDING_SLACK <= value <= high + ROUNDING_SLACK

        bad = next((key for key, value in self.metrics.items() if metric(key) is not None
                    and out_of_range(value)), None)
        if bad is not None:
            raise ValueError(f"metric {bad[:80]} = {self.metrics[bad]!r} is outside its range [{low:g}, {high:g}]")
        for label, scores in self.per_class.items():
            for name in ("precision", "recall", "f1", "ap", "roc_auc", "accuracy"):
                value = getattr(scores, name, None)
                if out_of_range(value):
                    raise ValueError(f"per_class {label[:80]} {name} = {value!r} is outside [{low:g}, {high:g}]")
        labels = [*self.extra.classes_without_support, *(self.extra.confusion_matrix.labels
                                                         if self.extra.confusion_matrix else ())]
        long = next((label for label in labels if len(label) > MAX_NAME_CHARS), None)
        if long is not None:
            raise ValueError(f"a class name of {len(long)} characters (at most {MAX_NAME_CHARS})")
        return self


def record_path(results_dir: Path, task: str, baseline: str, configuration: str, seed: int) -> Path:
    """``results_dir/<task>/<baseline>/<configuration>/seed-<seed>.json``; ``configuration`` is the folder
    name of :attr:`irbench.run.configuration.Configuration.folder` (``default-3f2a9c1b``)."""
    return Path(results_dir) / task / baseline_folder(baseline) / configuration / f"seed-{seed}.json"


def baseline_folder(baseline: str) -> str:
    """The folder name of a baseline's records: its name, with the ``:`` of ``probe:<embedder>`` and
    ``zero-shot:<tagger>`` names as ``+`` (``probe+hear+my_module``), since a ``:`` in a path is read as a URL
    scheme in a link and is refused by some file systems (``+`` is in no registered name)."""
    return baseline.replace(":", "+")


def legacy_record_path(results_dir: Path, task: str, baseline: str, seed: int) -> Path:
    """Where irbench before 0.2 wrote a record: ``results_dir/<task>/<baseline>/seed-<seed>.json`` (one
    configuration per baseline). Such records are still read, and count for their configuration."""
    return Path(results_dir) / task / baseline_folder(baseline) / f"seed-{seed}.json"


@contextmanager
def record_lock(path: Path) -> Iterator[None]:
    """Hold the lock of one run record (``.seed-<n>.lock`` beside it, ``filelock``) while it is produced.

    Raises ``RecordLockedError`` at once when another process holds it: two runs of the same task, baseline
    and seed into the same results folder would otherwise mix their outputs."""
    from filelock import FileLock, Timeout

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path.with_name(f".{path.stem}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout as error:
        raise RecordLockedError(f"another irbench run is producing {path} right now (lock {lock.lock_file}); "
                                "wait for it to finish, or give this run another --results-dir") from error
    try:
        yield
    finally:
        lock.release()


def check_writable(path: Path, overwrite: bool) -> None:
    """Raise ``RecordExistsError`` when ``path`` exists and ``overwrite`` is false."""
    if path.exists() and not overwrite:
        raise RecordExistsError(f"{path} already exists; pass --overwrite to replace it")


def write_record(record: RunRecord, path: Path, overwrite: bool = False) -> None:
    """Validate and write ``record`` atomically. Raises ``RecordExistsError`` (see ``check_writable``)."""
    check_writable(path, overwrite)
    atomic_write_text(path, record.model_dump_json(indent=2))


def migrate(content: dict[str, Any]) -> dict[str, Any]:
    """A record's JSON content lifted to ``SCHEMA_VERSION`` through ``MIGRATIONS`` (a record without a version
    is schema 1).

    Raises ``ValueError`` for a version this irbench does not read (newer, or not a string)."""
    version = content.get("schema_version", "1")
    if not isinstance(version, str) or version not in READABLE_SCHEMA_VERSIONS:
        shown = repr(version)[:40]
        raise ValueError(f"run record schema version {shown} is not one this irbench reads "
                         f"({', '.join(READABLE_SCHEMA_VERSIONS)}); update irbench to read it")
    while version != SCHEMA_VERSION:
        content = MIGRATIONS[version](content)
        version = content["schema_version"]
    return content


def _record_text(path: Path) -> str:
    """The text of a run record, read only from a regular file of at most ``MAX_RECORD_BYTES``.

    A FIFO, device, socket or folder (a ``seed-0.json`` linked to ``/dev/zero`` or a pipe) is refused from
    its ``os.stat`` before it is opened, and the file is opened non-blocking and checked again, so nothing
    can block the read or feed it without end. Raises ``DatasetLayoutError`` naming the file."""
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise DatasetLayoutError(path, "not a regular file (a pipe, device or folder), so not a run record")
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(descriptor)
            if not stat.S_ISREG(info.st_mode):
                raise DatasetLayoutError(path, "not a regular file (replaced while opened), so not a run record")
            if info.st_size > MAX_RECORD_BYTES:
                raise DatasetLayoutError(path, f"{info.st_size} bytes, over the {MAX_RECORD_BYTES}-byte limit of "
                                         "a run record")
            with os.fdopen(os.dup(descriptor), "rb") as handle:
                data = handle.read(MAX_RECORD_BYTES + 1)
        finally:
            os.close(descriptor)
    except OSError as error:
        raise DatasetLayoutError(path, f"not a readable irbench run record ({error.strerror or error})") from error
    if len(data) > MAX_RECORD_BYTES:
        raise DatasetLayoutError(path, f"over the {MAX_RECORD_BYTES}-byte limit of a run record (it grew while read)")
    return data.decode("utf-8")


def _check_shape(path: Path, content: Any) -> None:
    """Refuse nesting deeper than ``MAX_RECORD_DEPTH`` and object keys longer than ``MAX_NAME_CHARS`` (an
    iterative walk: no recursion whatever the depth). Raises ``DatasetLayoutError`` naming the file."""
    stack = [(content, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
            long = next((key for key in value if len(key) > MAX_NAME_CHARS), None)
            if long is not None:
                raise DatasetLayoutError(path, f"a name of {len(long)} characters ({long[:40]!r}...); names in "
                                         f"a run record have at most {MAX_NAME_CHARS}")
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_RECORD_DEPTH:
            raise DatasetLayoutError(path, f"nested deeper than {MAX_RECORD_DEPTH} levels, so not a run record")
        stack.extend((child, depth + 1) for child in children)


def read_record(path: Path) -> RunRecord:
    """Load and validate one record (schema versions in ``READABLE_SCHEMA_VERSIONS``).

    Older records are lifted through ``MIGRATIONS`` first. Bounded: only a regular file of at most
    ``MAX_RECORD_BYTES`` is read (never a pipe or device), nesting of at most ``MAX_RECORD_DEPTH``, names
    of at most ``MAX_NAME_CHARS``; registered metrics must lie in ``UNIT_RANGE`` and the checkpoint and
    predictions files be plain names beside the record. Raises ``DatasetLayoutError`` naming the file on
    any of these, invalid content or an unknown schema version."""
    try:
        content = json.loads(_record_text(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DatasetLayoutError(path, f"not a readable irbench run record ({error})") from error
    except RecursionError as error:
        raise DatasetLayoutError(path, f"nested deeper than {MAX_RECORD_DEPTH} levels, so not a run record") \
            from error
    if not isinstance(content, dict):
        raise DatasetLayoutError(path, f"not an irbench run record (a JSON {type(content).__name__}, not an object)")
    _check_shape(path, content)
    try:
        content = migrate(content)
    except ValueError as error:
        raise DatasetLayoutError(path, str(error)) from error
    try:
        return RunRecord.model_validate(content)
    except ValidationError as error:
        raise DatasetLayoutError(path, f"not a valid irbench run record ({_first_problem(error)})") from error


def _first_problem(error: ValidationError) -> str:
    """``N problem(s), first: <field>: <why>`` on one line (a name in it cut to 80 characters)."""
    problems = error.errors()
    if not problems:
        return " ".join(str(error).split())[:300]
    first = problems[0]
    where = " ".join(".".join(str(part)[:80] for part in first.get("loc", ())).split()) or "record"
    why = " ".join(str(first.get("msg", "")).removeprefix("Value error, ").split())[:300]
    return f"{error.error_count()} problem(s), first: {where}: {why}"


RECORD_NAME = re.compile(r"seed-\d+\.json")
"""A run record's file name (``seed-<n>.json``); failure records and other files beside it do not match."""


def find_records(results_dir: Path) -> list[Path]:
    """Every ``<task>/<baseline>/<configuration>/seed-<n>.json`` under ``results_dir``, and the legacy
    ``<task>/<baseline>/seed-<n>.json``, sorted (never the failure records or other files beside them)."""
    root = Path(results_dir)
    found = [*root.glob("*/*/seed-*.json"), *root.glob("*/*/*/seed-*.json")]
    return sorted(p for p in found if RECORD_NAME.fullmatch(p.name))
