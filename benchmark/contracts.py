"""The task contract, checked when a task is registered or validated, before any data is read.

A task (built-in or from a plugin) must describe itself consistently and its protocol must emit what its
metadata promises. :func:`check_task` runs the task's ``evaluate`` on a small synthetic validation and test
set of its own prediction type and reports every problem it finds; the registry refuses a plugin task with
problems (naming them), and ``irbench validate TASK`` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import ValidationError

from irbench.evaluation.types import ClipScores
from irbench.store.record_parts import DecisionRule, ProtocolExtras
from irbench.task import PredictionType, Task, TaskMetadata

N_CLIPS = 12


@dataclass(frozen=True)
class Problem:
    """One broken promise of a task: what was checked and what was found."""

    check: str
    found: str

    def __str__(self) -> str:
        return f"{self.check}: {self.found}"


def _synthetic(metadata: TaskMetadata, seed: int) -> ClipScores:
    """``N_CLIPS`` clips of the task's test prediction type with 1-3 windows of scores each."""
    rng = np.random.default_rng(seed)
    n = len(metadata.labels)
    targets = np.zeros((N_CLIPS, n), np.float32)
    targets[np.arange(N_CLIPS), np.arange(N_CLIPS) % n] = 1
    if metadata.test_prediction_type is not PredictionType.SINGLE_LABEL:
        targets[rng.random((N_CLIPS, n)) < 0.2] = 1
    mask = None
    if metadata.test_prediction_type is PredictionType.MASKED_MULTI_LABEL:
        mask = np.maximum(rng.random((N_CLIPS, n)) < 0.7, targets).astype(np.float32)
    windows = [np.clip(targets[i] * 0.6 + rng.random((1 + i % 3, n)) * 0.4, 0, 1).astype(np.float32)
               for i in range(N_CLIPS)]
    return ClipScores([f"clip-{i}" for i in range(N_CLIPS)], windows, targets, mask)


def check_task(task: Task) -> list[Problem]:
    """Every problem of ``task``'s contract; an empty list means it holds.

    Checked: metadata is a ``TaskMetadata``; one label name per label, labels unique; ``evaluate`` runs on a
    synthetic validation and test set, returns metrics that include ``main_score`` (finite), a decision rule
    and extras that fit the run record (:class:`irbench.store.record_parts.DecisionRule`, ``ProtocolExtras``), one
    per-class entry per label, and a ``rescore`` that recomputes the main score on a subset of test clips.
    """
    metadata = getattr(task, "metadata", None)
    if not isinstance(metadata, TaskMetadata):
        return [Problem("metadata", f"is a {type(metadata).__name__}, not a TaskMetadata")]
    problems = []
    if len(metadata.label_names) != len(metadata.labels):
        problems.append(Problem("label names", f"{len(metadata.label_names)} names for {len(metadata.labels)} labels"))
    if len(set(metadata.labels)) != len(metadata.labels):
        problems.append(Problem("labels", "a label appears twice"))
    if problems:
        return problems
    try:
        evaluation = task.evaluate(_synthetic(metadata, 0), _synthetic(metadata, 1))
    except Exception as error:  # report, never crash the registry
        return [Problem("evaluate", f"fails on a synthetic set: {type(error).__name__}: {error}")]
    main = metadata.main_score
    value = evaluation.metrics.get(main)
    if value is None:
        problems.append(Problem("main score", f"{main!r} is not among the protocol's metrics "
                                              f"({', '.join(sorted(evaluation.metrics))})"))
    elif not np.isfinite(value):
        problems.append(Problem("main score", f"{main!r} is {value}"))
    for part, model in (("threshold", DecisionRule), ("extra", ProtocolExtras)):
        try:
            model.model_validate(getattr(evaluation, part))
        except ValidationError as error:
            problems.append(Problem(part, f"does not fit the run record's {model.__name__}: "
                                          f"{error.errors()[0]['loc']}: {error.errors()[0]['msg']}"))
    if list(evaluation.per_class) != list(metadata.labels):
        problems.append(Problem("per-class metrics", "not one entry per label, in label order"))
    rescore = getattr(evaluation, "rescore", None)
    if not callable(rescore):
        problems.append(Problem("rescore", "evaluate returns no rescore(metric, indices) for bootstrap intervals"))
    elif value is not None:
        try:
            again = float(rescore(main, np.arange(N_CLIPS)))
            if not np.isclose(again, value, atol=1e-9):
                problems.append(Problem("rescore", f"gives {again} on all test clips, the metrics say {value}"))
        except Exception as error:
            problems.append(Problem("rescore", f"fails: {type(error).__name__}: {error}"))
    return problems
