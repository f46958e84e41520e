"""The run record: one JSON file per task, baseline, configuration and seed that says exactly what produced a
result.

Path: ``RESULTS_DIR/<task>/<baseline>/<configuration>/seed-<n>.json`` (the configuration's folder:
:mod:`irbench.run.configuration`; records in the older ``<task>/<baseline>/seed-<n>.json`` are still read) with ``seed-<n>.predictions.csv`` (per-clip scores
and decisions) and ``seed-<n>.ckpt`` (best weights) beside it. Written atomically; an existing record is
never replaced unless the caller asks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

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


def record_path(results_dir: Path, task: str, baseline: str, configuration: str, seed: int) -> Path:
    """``results_dir/<task>/<baseline>/<configuration>/seed-<seed>.json``; ``configuration`` is the folder
    name of :attr:`irbench.run.configuration.Configuration.folder` (``default-3f2a9c1b``)."""
    return Path(results_dir) / task / baseline / configuration / f"seed-{seed}.json"


def legacy_record_path(results_dir: Path, task: str, baseline: str, seed: int) -> Path:
    """Where irbench before 0.2 wrote a record: ``results_dir/<task>/<baseline>/seed-<seed>.json`` (one
    configuration per baseline). Such records are still read, and count for their configuration."""
    return Path(results_dir) / task / baseline / f"seed-{seed}.json"


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


def read_record(path: Path) -> RunRecord:
    """Load and validate one record (schema versions in ``READABLE_SCHEMA_VERSIONS``).

    Older records are lifted through ``MIGRATIONS`` first. Raises ``DatasetLayoutError`` naming the file on
    invalid content or an unknown schema version."""
    try:
        content = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DatasetLayoutError(path, f"not a readable irbench run record ({error})") from error
    if not isinstance(content, dict):
        raise DatasetLayoutError(path, f"not an irbench run record (a JSON {type(content).__name__}, not an object)")
    try:
        content = migrate(content)
    except ValueError as error:
        raise DatasetLayoutError(path, str(error)) from error
    try:
        return RunRecord.model_validate(content)
    except ValidationError as error:
        raise DatasetLayoutError(path, f"not a valid irbench run record ({error})") from error


def find_records(results_dir: Path) -> list[Path]:
    """Every ``<task>/<baseline>/<configuration>/seed-<n>.json`` under ``results_dir``, and the legacy
    ``<task>/<baseline>/seed-<n>.json``, sorted (never the failure records or other files beside them)."""
    root = Path(results_dir)
    found = [*root.glob("*/*/seed-*.json"), *root.glob("*/*/*/seed-*.json")]
    return sorted(p for p in found if re.fullmatch(r"seed-\d+\.json", p.name))
