"""The baseline contract: what a registered model declares and how the harness builds it.

A baseline names its front end (a registered feature extractor and its configuration), its input window in
frames, its training defaults, and builds a ``torch.nn.Module`` that maps features
``(batch, n_features, frames)`` to logits ``(batch, n_classes)``. The harness owns everything else (loss,
output activation, windows, training loop, evaluation), chosen from the task's prediction type.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from irbench.task import PredictionType


class TrainingConfig(BaseModel):
    """Training hyperparameters; defaults per baseline, overridable with ``--config key=value``.

    optimizer (``adam`` or ``sgd``), learning_rate, momentum (SGD only), weight_decay (L2), batch_size
    (windows), max_epochs, patience (epochs without a better validation loss before early stopping),
    gradient_clip (maximum gradient norm, or ``None``). Baselines subclass it to add their own fields.
    Rates, decay and clipping must be finite: ``learning_rate=inf`` or ``nan`` is refused before any work.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    optimizer: Literal["adam", "sgd"] = "adam"
    learning_rate: float = Field(1e-3, gt=0, allow_inf_nan=False)
    momentum: float = Field(0.9, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0, allow_inf_nan=False)
    batch_size: int = Field(64, gt=0)
    max_epochs: int = Field(40, ge=0)
    patience: int = Field(8, ge=1)
    gradient_clip: float | None = Field(None, gt=0, allow_inf_nan=False)


@dataclass(frozen=True)
class ModelSpec:
    """What a task tells a baseline when it builds a model.

    n_classes: output size. prediction_type: the training target encoding. input_shape:
    ``(n_features, frames)`` of one window. class_priors: ``(n_classes,)`` share of training clips per class
    (over annotated pairs). feature_mean, feature_std: ``(n_features,)`` statistics of the TRAINING windows
    only, for baselines that standardise their input (seed 004 fitted its scaler on the test set).
    """

    n_classes: int
    prediction_type: PredictionType
    input_shape: tuple[int, int]
    class_priors: np.ndarray
    feature_mean: np.ndarray | None = None
    feature_std: np.ndarray | None = None


class Baseline(ABC):
    """A model registered by name; subclasses set the class attributes and implement ``build``.

    Class attributes
    ----------------
    name: registry and CLI name. description: one line for ``irbench list``. source: paper or project it
    follows. frontend_name: a registered front end. frontend_config: its configuration. input_frames:
    window length in frames. training: default ``TrainingConfig``.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    source: ClassVar[str]
    frontend_name: ClassVar[str] = "log-mel"
    frontend_config: ClassVar[BaseModel]
    input_frames: ClassVar[int]
    training: ClassVar[TrainingConfig] = TrainingConfig()

    @abstractmethod
    def build(self, spec: ModelSpec, config: TrainingConfig) -> torch.nn.Module:
        """A fresh model for ``spec``: ``(batch, n_features, frames)`` -> logits ``(batch, n_classes)``.

        ``config`` is the run's training configuration (the baseline's defaults with overrides applied)."""

    def callbacks(self, config: TrainingConfig) -> list:
        """Extra Lightning callbacks for training (e.g. unfreezing a backbone); none by default."""
        return []

    def use_frontend(self, name: str) -> None:
        """Compute this baseline's features with another registered front end of the same configuration
        type (e.g. ``log-mel-essentia`` for ``vgg``).

        Raises ``ConfigError`` when the front end takes another configuration."""
        from irbench.errors import ConfigError
        from irbench.features import FRONTENDS

        other = FRONTENDS.get(name)
        if other.config_class is not type(self.frontend_config):
            raise ConfigError(f"front end {name!r} takes {other.config_class.__name__}, but {self.name} "
                              f"uses {type(self.frontend_config).__name__}")
        self.frontend_name = name

    notes: dict[str, Any] = {}

    def describe(self) -> dict[str, Any]:
        """The baseline's identity for a run record: name, source, front end, window, and what ``build``
        noted (e.g. which checkpoint initialised it)."""
        return {
            "name": self.name, "source": self.source, "frontend": self.frontend_name,
            "frontend_config": self.frontend_config.model_dump(), "input_frames": self.input_frames,
            "notes": dict(self.notes),
        }
