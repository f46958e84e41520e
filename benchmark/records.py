"""The run record: one JSON file per task, baseline and seed that says exactly what produced a result.

Path: ``RESULTS_DIR/<task>/<baseline>/seed-<n>.json`` with ``seed-<n>.predictions.csv`` (per-clip scores
and decisions) and ``seed-<n>.ckpt`` (best weights) beside it. Written atomically; an existing record is
never replaced unless the caller asks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from irbench.atomic import atomic_write_text
from irbench.errors import DatasetLayoutError, RecordExistsError

SCHEMA_VERSION = "1"


class ClassMetrics(BaseModel):
    """Per-class precision, recall, F1 (at the recorded decision rule) and support (test clips with the
    label); ``None`` where the class has no support in the test set. Protocols add fields (``ap``,
    ``roc_auc``, ``accuracy``)."""

    model_config = ConfigDict(extra="allow")

    precision: float | None
    recall: float | None
    f1: float | None
    support: int


class Provenance(BaseModel):
    """Where a result came from: code, packages, device, data and time per stage (seconds)."""

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
    command: str | None = None


class RunRecord(BaseModel):
    """One run: task and version, baseline and its full configuration, seed, metrics and provenance."""

    model_config = ConfigDict(extra="forbid")

    schema_version: str = SCHEMA_VERSION
    task: str
    task_version: str
    baseline: str
    config: dict[str, Any]
    seed: int
    stand_in: bool
    stand_in_info: dict[str, Any] | None = None
    metrics: dict[str, float]
    main_score: str
    per_class: dict[str, ClassMetrics]
    threshold: dict[str, Any]
    n_test: int
    n_train: int
    n_validation: int
    training: dict[str, Any]
    extra: dict[str, Any] = Field(default_factory=dict)
    confidence_intervals: dict[str, dict[str, Any]] = Field(default_factory=dict)
    skipped_files: list[dict[str, str]] = Field(default_factory=list)
    predictions_file: str
    checkpoint_file: str | None
    provenance: Provenance


def record_path(results_dir: Path, task: str, baseline: str, seed: int) -> Path:
    """``results_dir/<task>/<baseline>/seed-<seed>.json``."""
    return Path(results_dir) / task / baseline / f"seed-{seed}.json"


def check_writable(path: Path, overwrite: bool) -> None:
    """Raise ``RecordExistsError`` when ``path`` exists and ``overwrite`` is false."""
    if path.exists() and not overwrite:
        raise RecordExistsError(f"{path} already exists; pass --overwrite to replace it")


def write_record(record: RunRecord, path: Path, overwrite: bool = False) -> None:
    """Validate and write ``record`` atomically. Raises ``RecordExistsError`` (see ``check_writable``)."""
    check_writable(path, overwrite)
    atomic_write_text(path, record.model_dump_json(indent=2))


def read_record(path: Path) -> RunRecord:
    """Load and validate one record. Raises ``DatasetLayoutError`` naming the file on invalid content."""
    try:
        return RunRecord.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, json.JSONDecodeError, ValidationError) as error:
        raise DatasetLayoutError(path, f"not a valid irbench run record ({error})") from error


def find_records(results_dir: Path) -> list[Path]:
    """Every ``<task>/<baseline>/seed-*.json`` under ``results_dir``, sorted."""
    return sorted(Path(results_dir).glob("*/*/seed-*.json"))
