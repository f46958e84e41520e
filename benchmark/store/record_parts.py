"""The typed parts of a run record: configuration, decision rule, training summary, windows, protocol extras.

Each part names the fields irbench itself reads (``irbench report``, ``irbench predict``, ``irbench sweep``)
and allows further ones (``extra="allow"``): a plugin's baseline notes, a protocol's per-aggregation
thresholds, and fields a newer irbench adds still round-trip, while a missing or mistyped field that irbench
relies on fails validation with the record's file named (see :func:`irbench.store.records.read_record`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow")


class BaselineIdentity(_Part):
    """What ``Baseline.describe()`` said when the model was built.

    name: registered baseline name. source: paper or project it follows. python_class: ``module:qualname`` of
    the class that built it (``None`` in records before irbench 0.2). frontend: registered front end
    (``None`` for a model that reads no feature). frontend_config: its configuration (n_mels, hop length in
    samples, sample rate in Hz, ...). input_frames: window length in frames. notes: what building the model
    noted (pretrained weights and their SHA-256/MD5, or "trained from scratch")."""

    name: str
    source: str = ""
    python_class: str | None = None
    frontend: str | None = None
    frontend_config: dict[str, Any] | None = None
    input_frames: int | None = None
    notes: dict[str, Any] = Field(default_factory=dict)


class RunConfiguration(_Part):
    """Everything chosen for a run besides task and seed: the baseline's identity, its training configuration
    after overrides (the baseline's own pydantic model, dumped; ``predict`` validates it with that model), the
    device it ran on (``cpu``, ``cuda``, ``cuda:1``) and the device as asked for (``auto`` unless named; a
    named device is part of the configuration, :mod:`irbench.run.configuration`), and the CPU thread count
    training and evaluation ran with (``--threads``; part of the configuration too)."""

    baseline: BaselineIdentity
    training: dict[str, Any] = Field(default_factory=dict)
    device: str | None = None
    requested_device: str | None = None
    threads: int | None = None


class DecisionRule(_Part):
    """How scores became instrument decisions on the test set.

    aggregation: clip-level aggregation of window probabilities (``s1`` mean, ``s2`` max, ...; Han et al.
    2017). value: the probability threshold in [0, 1], or ``None`` for the arg-max (single-label) decision.
    chosen_on: where the threshold was chosen (``validation``, or why a default was used). criterion: what the
    choice maximised (``micro_f1``). validation_curve: threshold -> criterion on validation clips.
    grid: the thresholds searched (empty when none was). scores: what the thresholded clip scores are
    (aggregation and output activation, e.g. S2 of softmax outputs). validation_split, test_split: what the
    threshold was tuned on and applied to: ``clips``, ``labels_per_clip``, ``windows_per_clip``."""

    aggregation: str = "s1"
    value: float | None = None
    chosen_on: str = "-"
    criterion: str | None = None
    validation_curve: dict[float, float | None] = Field(default_factory=dict)
    grid: list[float] = Field(default_factory=list)
    scores: str = ""
    validation_split: dict[str, int | float] = Field(default_factory=dict)
    test_split: dict[str, int | float] = Field(default_factory=dict)

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

    def statement(self) -> str:
        """The whole rule in one or two sentences for a page: grid, criterion, scores and split shapes;
        ``describe()`` alone for a rule that records none of them (older records, arg-max)."""
        if self.value is None or not self.grid:
            return self.describe()
        grid = f"{min(self.grid):g}-{max(self.grid):g} in {len(self.grid)} steps"
        text = f"threshold {self.value:g}, the value of the grid {grid} that maximises {self.criterion} on " \
               f"{self.chosen_on}; it applies to {self.scores or self.aggregation + ' scores'}."

        def shape(name: str, split: dict[str, float]) -> str:
            return (f"{name}: {int(split.get('clips', 0))} clips, {split.get('labels_per_clip', 0):.2f} labels "
                    f"and {split.get('windows_per_clip', 0):.2f} windows per clip")

        if self.validation_split and self.test_split:
            text += f" Tuned on {shape('validation', self.validation_split)}; applied to " \
                    f"{shape('test', self.test_split)}."
        return text


class TrainingSummary(_Part):
    """How training went: epochs run, the epoch whose weights were kept and its validation loss, whether early
    stopping ended it, whether it resumed from an interrupted run, and the model's trainable size.

    Epochs count from 1 (schema 3 on; older records are lifted when read). epochs: epochs run. best_epoch: the
    epoch kept (``None`` without validation). max_epochs: the configured limit and patience: the epochs
    without a lower validation loss that stop training (``None`` where unknown or nothing watched it)."""

    epochs: int = 0
    best_epoch: int | None = None
    best_validation_loss: float | None = None
    stopped_early: bool = False
    resumed: bool = False
    n_parameters: int = 0
    max_epochs: int | None = None
    patience: int | None = None

    def stopping_note(self) -> str | None:
        """What a reader of the scores should know about when training stopped and which epoch was kept, as
        one phrase, or ``None`` when the last of all ``max_epochs`` was kept (or nothing was trained):
        ``stopped early at epoch 14 of 40 (patience 5); kept epoch 9``, ``validation loss never improved
        after epoch 1; kept epoch 1 of 10``, ``kept epoch 31 of 40 (validation loss did not improve after
        it)``, ``no validation loss; kept the last epoch, 10 of 10``."""
        limit = self.max_epochs if self.max_epochs is not None else self.epochs
        if self.n_parameters == 0 and self.epochs == 0:
            return None
        if self.epochs == 0:
            return f"no epoch trained (max_epochs {limit}); kept the initial weights"
        if self.best_epoch is None:
            return f"no validation loss; kept the last epoch, {self.epochs} of {limit}"
        never = "validation loss never improved after epoch 1; " if self.best_epoch == 1 < self.epochs else ""
        if self.stopped_early:
            patience = f" (patience {self.patience})" if self.patience is not None else ""
            return f"{never}stopped early at epoch {self.epochs} of {limit}{patience}; kept epoch {self.best_epoch}"
        if never:
            return f"{never}kept epoch 1 of {limit}"
        if self.best_epoch < self.epochs:
            return f"kept epoch {self.best_epoch} of {limit} (validation loss did not improve after it)"
        if self.epochs < limit:  # ended before its limit without early stopping saying so
            return f"training ended at epoch {self.epochs} of {limit}; kept epoch {self.best_epoch}"
        return None


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
