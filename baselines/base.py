"""The baseline contract: what a registered model declares and how the harness builds it.

A baseline names its front end (a registered feature extractor and its configuration), its input window in
frames, its training defaults, and builds a ``torch.nn.Module`` that maps features
``(batch, n_features, frames)`` to logits ``(batch, n_classes)``. The harness owns everything else (loss,
output activation, windows, training loop, evaluation), chosen from the task's prediction type.

This module does not import torch: a baseline's declaration (its class attributes, ``describe()``,
``weights_notes``) is read by ``irbench report`` and ``irbench list`` without building anything, so the
built-in baselines keep their networks in :mod:`irbench.baselines.networks` and import them in ``build``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from irbench.task import PredictionType
from irbench.run.training_config import TrainingConfig
from pydantic import BaseModel

if TYPE_CHECKING:  # torch is imported where a model is built, so that declarations import without it
    import torch

__all__ = ["Baseline", "BuiltModel", "ModelSpec", "TrainingConfig"]  # TrainingConfig lives with training; plugins import it here


@dataclass(frozen=True)
class ModelSpec:
    """What a task tells a baseline when it builds a model.

    n_classes: output size. prediction_type: the training target encoding. input_shape:
    ``(n_features, frames)`` of one window. class_priors: ``(n_classes,)`` share of training clips per class
    (over annotated pairs). feature_mean, feature_std: ``(n_features,)`` statistics of the TRAINING windows
    only, for baselines that standardise their input (instrument-classifier fitted its scaler on the test set).
    task, labels: the task's name and its class labels in output order (a zero-shot tagger maps its own
    labels to them; empty when unknown).
    """

    n_classes: int
    prediction_type: PredictionType
    input_shape: tuple[int, int]
    class_priors: np.ndarray
    feature_mean: np.ndarray | None = None
    feature_std: np.ndarray | None = None
    task: str = ""
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuiltModel:
    """What building a model produced: the module, what building it noted for the run record (e.g. which
    pretrained weights initialised it, with their SHA-256), and extra Lightning callbacks for its training
    (e.g. unfreezing a pretrained backbone after a warm-up).

    module: ``(batch, n_features, frames)`` -> logits ``(batch, n_classes)``."""

    module: torch.nn.Module
    notes: dict[str, Any] = field(default_factory=dict)
    callbacks: tuple = ()


class Baseline(ABC):
    """A model registered by name; subclasses set the class attributes and implement ``build``.

    Class attributes
    ----------------
    name: registry and CLI name. description: one line for ``irbench list``. source: paper or project it
    follows. frontend_name: a registered front end, or ``None`` for a model that reads no feature (the
    constant predictor: no features are computed for it). frontend_config: its configuration (``None``
    without a front end). input_frames: window length in frames. training: default ``TrainingConfig`` (a
    model without trainable parameters may declare a smaller pydantic model with ``batch_size``).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    source: ClassVar[str]
    frontend_name: ClassVar[str | None] = "log-mel"
    frontend_config: ClassVar[BaseModel | None]
    input_frames: ClassVar[int]
    training: ClassVar[BaseModel] = TrainingConfig()
    cache_dir: Path | None = None  # the run's --cache-dir (pretrained weights live under it); set by the harness
    run_device: str = "cpu"  # the run's resolved torch device (``cpu``, ``cuda``); set by the harness

    @abstractmethod
    def build(self, spec: ModelSpec, config: TrainingConfig) -> BuiltModel | torch.nn.Module:
        """A fresh model for ``spec``: ``(batch, n_features, frames)`` -> logits ``(batch, n_classes)``, with
        its notes and callbacks (a ``BuiltModel``), or the bare module when there is nothing to note.

        ``config`` is the run's training configuration (the baseline's defaults with overrides applied). The
        baseline keeps no state between builds: everything a build decided is in what it returns."""

    def assemble(self, spec: ModelSpec, config: TrainingConfig) -> BuiltModel:
        """``build``'s result as a ``BuiltModel`` (a bare module gets no notes and no callbacks).

        Raises ``TypeError`` naming the baseline when ``build`` returns anything else."""
        import torch

        built = self.build(spec, config)
        if isinstance(built, torch.nn.Module):
            return BuiltModel(built)
        if not isinstance(built, BuiltModel):
            raise TypeError(f"baseline {self.name!r}: build() returned a {type(built).__name__}, not a "
                            "torch.nn.Module or BuiltModel")
        return built

    def configure(self, config: TrainingConfig) -> None:
        """Fix what depends on the run's settings before anything is planned: called with the training
        configuration (defaults with overrides applied) before the run's configuration, features and windows
        are decided, and by ``irbench predict`` with the recorded one. ``probe:<embedder>`` builds its embedder
        here to learn its front end and window; the default does nothing."""
        del config

    def selection_grid(self, config: TrainingConfig) -> dict[str, list]:
        """Training settings to choose on the validation split: ``{"learning_rate": [3.2e-3, 1e-3]}`` trains one
        model per value from the run's seed and keeps the one of lowest validation loss
        (:mod:`irbench.run.selection`); the default, ``{}``, trains ``config`` once."""
        del config
        return {}

    def fit_directly(self, built: BuiltModel, train: Any, validation: Any, config: TrainingConfig, seed: int):
        """Fit a model that is not trained by gradient descent (a random forest) on the training windows
        (:class:`irbench.windowing.dataset.Windows`) and return a ``irbench.run.training.FitResult``; ``None``
        (the default) trains ``built.module`` with the harness's Lightning loop instead."""
        del built, train, validation, config, seed
        return None

    def weights_notes(self, config: TrainingConfig) -> dict[str, Any]:
        """What the run's record will say about pretrained weights, known before any model is built, so the
        run's configuration (:mod:`irbench.run.configuration`) is fixed before training: ``weights_sha256`` (and
        ``weights``, their declared name) of the file that will initialise the model, or ``{}`` for a model
        trained from scratch. ``build`` must note the same. The default: no pretrained weights.

        Raises ``ConfigError`` when the weights cannot be read."""
        del config
        return {}

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

    def describe(self, notes: dict[str, Any] | None = None) -> dict[str, Any]:
        """The baseline's identity for a run record: name, source, the Python class that implements it
        (``module:qualname``, so ``irbench predict`` can rebuild a model defined in a user's own script or
        notebook), front end, window, and ``notes``, what ``build`` noted (``BuiltModel.notes``: e.g. which
        weights initialised it)."""
        return {
            "name": self.name, "source": self.source,
            "python_class": f"{type(self).__module__}:{type(self).__qualname__}", "frontend": self.frontend_name,
            "frontend_config": self.frontend_config.model_dump() if self.frontend_config is not None else None,
            "input_frames": self.input_frames,
            "notes": dict(notes or {}),
        }
