"""``zero-shot:<tagger>``: a pretrained tagger evaluated without training, through an explicit label map.

The zero-shot-v1 protocol:

- **Scores** of the tagger's own labels every ``hop_seconds`` (0.5 s) for the ``segment_seconds`` (1 s) of
  audio around each frame, computed once per file and cached (:mod:`irbench.features.tagger_scores`).
- **Windows** of ``window_seconds`` (3 s) placed by the task's layout; a window's label scores are the mean
  over its frames, and a task class's score is the largest score of the tagger labels the map gives it
  (:mod:`irbench.taggers.label_maps`; e.g. IRMAS ``vio`` <- AudioSet "Violin, fiddle"). The task's protocol
  aggregates windows to clips and chooses thresholds on validation, as for every run.
- **Unmapped classes** (no tagger label means the same instrument) score 0 in every window: they are never
  predicted, and count as missed in every metric. The record's notes and the report name them. The issue
  asked for them to be excluded from scoring; scoring them as never predicted keeps the headline on the
  task's full class set, comparable with the other tracks, and can only lower it.
- Nothing is trained: the checkpoint holds the label map's index matrix only (the tagger's weights are
  named by SHA-256 in the record).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from irbench.baselines.base import Baseline, BuiltModel, ModelSpec
from irbench.errors import ConfigError
from irbench.task import PredictionType

PREFIX = "zero-shot:"
PROTOCOL = "zero-shot-v1"
_EPSILON = 1e-6


class ZeroShotConfig(BaseModel):
    """zero-shot-v1's settings: ``batch_size`` (windows scored at once), ``window_seconds``,
    ``segment_seconds`` and ``hop_seconds`` (s), ``label_map_file`` (a JSON or TOML map of the task's classes
    to the tagger's labels; ``""``: the built-in map), and the tagger's options ``model_file``, ``weights``
    (``pretrained`` or ``random``; ``""``: its default) and ``tagger_device`` (``run``: the run's device
    when it is CUDA, else ``cpu``; or a device by name)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_size: int = Field(256, gt=0)
    window_seconds: float = Field(3.0, gt=0, le=60, allow_inf_nan=False)
    segment_seconds: float = Field(1.0, gt=0, le=30, allow_inf_nan=False)
    hop_seconds: float = Field(0.5, gt=0, le=30, allow_inf_nan=False)
    label_map_file: str = ""
    model_file: str = ""
    weights: str = ""
    tagger_device: str = "run"


class LabelMapNet(nn.Module):
    """Label scores ``(batch, n_labels, frames)`` in ``[0, 1]`` -> logits ``(batch, n_classes)``: the mean
    over frames, then each class's largest mapped label (``assignment`` ``(n_classes, n_labels)``, 1 where a
    label maps to a class), as log-probabilities (single-label) or logits (multi-label)."""

    def __init__(self, assignment: np.ndarray, prediction_type: PredictionType):
        super().__init__()
        self.register_buffer("assignment", torch.as_tensor(assignment, dtype=torch.float32))
        self.single_label = prediction_type is PredictionType.SINGLE_LABEL

    def forward(self, scores: torch.Tensor) -> torch.Tensor:
        """``(batch, n_labels, frames)`` -> ``(batch, n_classes)``."""
        pooled = scores.mean(dim=-1)  # (batch, n_labels)
        masked = pooled[:, None, :] * self.assignment[None]  # (batch, n_classes, n_labels)
        p = masked.amax(dim=-1).clamp(_EPSILON, 1 - _EPSILON)
        return p.log() if self.single_label else torch.logit(p)


class ZeroShotBaseline(Baseline):
    """``zero-shot:<tagger>`` (see the module docstring); :meth:`configure` builds the tagger to read its
    version, weights, sample rate and labels (``tagger_labels``: the tagger's labels in score-column order).

    Raises ``UnknownNameError`` or ``TaggerError`` from :meth:`configure`, and ``ConfigError`` from
    :meth:`build` when no label map exists for the task or a map names a label the tagger lacks."""

    description = "zero-shot-v1: a pretrained tagger's scores through an explicit label map, no training"
    source = "irbench zero-shot-v1"
    frontend_name: ClassVar[str | None] = "tagger-scores"
    input_frames: int = 1
    training = ZeroShotConfig()

    def __init__(self, tagger: str):
        if not tagger:
            raise ConfigError("zero-shot: needs a tagger name, e.g. zero-shot:cnn14-audioset")
        self.tagger_name = tagger
        self.name = f"{PREFIX}{tagger}"
        self.frontend_config = None
        self._configured_for: tuple | None = None
        self.tagger_labels: tuple[str, ...] = ()
        self._tagger_description: dict[str, Any] = {}

    def configure(self, config: ZeroShotConfig) -> None:
        """Build the tagger with ``config``'s options; fix the front end and the window in frames."""
        from irbench.baselines.probe import identity_options, model_device, model_options
        from irbench.features.tagger_scores import TaggerScoresConfig
        from irbench.taggers import TAGGERS, get_tagger

        options = model_options({"model_file": config.model_file, "weights": config.weights,
                                 "device": model_device(config.tagger_device, self.run_device)}, TAGGERS.get(self.tagger_name), self.cache_dir)
        key = (tuple(sorted(options.items())), config.window_seconds, config.segment_seconds, config.hop_seconds)
        if self._configured_for == key:
            return
        tagger = get_tagger(self.tagger_name, **options)
        stored = identity_options(options, tagger)
        rate = int(tagger.sample_rate)
        hop = max(1, round(config.hop_seconds * rate))
        self.frontend_config = TaggerScoresConfig(
            tagger=self.tagger_name, options=stored, version=str(tagger.version),
            weights_sha256=tagger.weights_sha256, sample_rate=rate, n_labels=len(tagger.labels),
            segment_seconds=config.segment_seconds, hop_length=hop)
        self.input_frames = max(1, round(config.window_seconds * rate / hop))
        self.tagger_labels = tuple(tagger.labels)
        self._tagger_description = dict(tagger.describe())
        self._configured_for = key

    def describe(self, notes: dict[str, Any] | None = None) -> dict[str, Any]:
        """:meth:`Baseline.describe`, configured with the defaults first if :meth:`configure` was not called."""
        if self.frontend_config is None:
            self.configure(self.training)
        return super().describe(notes)

    def label_map(self, task: str, config: ZeroShotConfig):
        """The map of ``task``'s classes to this tagger's labels: ``config.label_map_file`` or the built-in."""
        from irbench.taggers.label_maps import label_map

        return label_map(self.tagger_name, task, file=config.label_map_file or None, labels=self.tagger_labels)

    def build(self, spec: ModelSpec, config: ZeroShotConfig) -> BuiltModel:
        """A :class:`LabelMapNet` for the task named in ``spec``, noted with the protocol, the tagger, the
        label map and the unmapped classes."""
        if not spec.labels:
            raise ConfigError(f"{self.name}: the task's class labels are needed to map the tagger's labels")
        if not self.tagger_labels:
            self.configure(config)
        mapping = self.label_map(spec.task, config)
        index = {label: i for i, label in enumerate(self.tagger_labels)}
        unknown = sorted({label for labels in mapping.classes.values() for label in labels} - set(index))
        if unknown:
            raise ConfigError(f"{self.name}: the label map names labels the tagger does not have: "
                              f"{', '.join(map(repr, unknown[:5]))}")
        assignment = np.zeros((len(spec.labels), len(self.tagger_labels)), dtype=np.float32)
        for row, label in enumerate(spec.labels):
            for tagger_label in mapping.classes.get(label, ()):
                assignment[row, index[tagger_label]] = 1.0
        unmapped = [label for row, label in enumerate(spec.labels) if not assignment[row].any()]
        notes = {"track": "zero-shot", "protocol": PROTOCOL, "tagger": dict(self._tagger_description),
                 "label_map": mapping.describe(), "unmapped_classes": unmapped}
        return BuiltModel(LabelMapNet(assignment, spec.prediction_type), notes)
