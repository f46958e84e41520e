"""The typed parts of a run record: configuration, decision rule, training summary, windows, protocol extras.

Each part names the fields irbench itself reads (``irbench report``, ``irbench predict``, ``irbench sweep``)
and allows further ones (``extra="allow"``): a plugin's baseline notes, a protocol's per-aggregation
thresholds, and fields a newer irbench adds still round-trip, while a missing or mistyped field that irbench
relies on fails validation with the record's file named (see :func:`irbench.records.read_record`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class BaselineIdentity(_Part):
    """What ``Baseline.describe()`` said when the model was built.

    name: registered baseline name. source: paper or project it follows. frontend: registered front end
    (``None`` for a model that reads no feature). frontend_config: its configuration (n_mels, hop length in
    samples, sample rate in Hz, ...). input_frames: window length in frames. notes: what building the model
    noted (pretrained weights and their SHA-256/MD5, or "trained from scratch")."""

    name: str
    source: str = ""
    frontend: str | None = None
    frontend_config: dict[str, Any] | None = None
    input_frames: int | None = None
    notes: dict[str, Any] = Field(default_factory=dict)


class RunConfiguration(_Part):
    """Everything chosen for a run besides task and seed: the baseline's identity, its training configuration
    after overrides (the baseline's own pydantic model, dumped; ``predict`` validates it with that model), and
    the device (``cpu``, ``cuda``, ``cuda:1``)."""

    baseline: BaselineIdentity
    training: dict[str, Any] = Field(default_factory=dict)
    device: str | None = None


class DecisionRule(_Part):
    """How scores became instrument decisions on the test set.

    aggregation: clip-level aggregation of window probabilities (``s1`` mean, ``s2`` max, ...; Han et al.
    2017). value: the probability threshold in [0, 1], or ``None`` for the arg-max (single-label) decision.
    chosen_on: where the threshold was chosen (``validation``, or why a default was used). criterion: what the
    choice maximised (``micro_f1``). validation_curve: threshold -> criterion on validation clips."""

    aggregation: str = "s1"
    value: float | None = None
    chosen_on: str = "-"
    criterion: str | None = None
    validation_curve: dict[float, float | None] = Field(default_factory=dict)

    def decide(self, scores: np.ndarray) -> np.ndarray:
        """Decisions ``(..., n_classes)`` bool for clip scores ``(..., n_classes)``: ``scores >= value``, or the
        top class of each row when the rule is arg-max."""
        scores = np.asarray(scores)
        if self.value is not None:
            return scores >= float(self.value)
        return scores == scores.max(axis=-1, keepdims=True)

    def describe(self) -> str:
        """One phrase for a console or page: ``threshold 0.35 on s1 scores, chosen on validation`` or
        ``the top instrument``."""
        if self.value is None:
            return "the top instrument"
        return f"threshold {self.value} on {self.aggregation} scores, chosen on {self.chosen_on}"


class TrainingSummary(_Part):
    """How training went: epochs run, the epoch whose weights were kept and its validation loss, whether early
    stopping ended it, whether it resumed from an interrupted run, and the model's trainable size."""

    epochs: int = 0
    best_epoch: int | None = None
    best_validation_loss: float | None = None
    stopped_early: bool = False
    resumed: bool = False
    n_parameters: int = 0


class WindowSummary(_Part):
    """The model windows of a run: the task's window layout, frames and seconds per window, windows per split,
    and how many of them extend past a clip shorter than one window (zero-padded)."""

    layout: str | None = None
    window_frames: int | None = None
    window_seconds: float | None = None
    windows: dict[str, int] = Field(default_factory=dict)
    padded_windows: dict[str, int] = Field(default_factory=dict)


class ConfusionMatrix(_Part):
    """Single-label confusion matrix: ``rows_true[i][j]`` test clips of ``labels[i]`` predicted as
    ``labels[j]``; ``(n_classes, n_classes)``."""

    labels: list[str]
    rows_true: list[list[int]]

    @model_validator(mode="after")
    def _square(self) -> ConfusionMatrix:
        n = len(self.labels)
        if len(self.rows_true) != n or any(len(row) != n for row in self.rows_true):
            raise ValueError(f"rows_true is not {n} x {n}, one row and column per label")
        return self


class ProtocolExtras(_Part):
    """What a protocol adds beyond metrics: classes with no test support (their false positives still count in
    micro averages) and, for single-label tasks, the confusion matrix."""

    classes_without_support: list[str] = Field(default_factory=list)
    confusion_matrix: ConfusionMatrix | None = None
