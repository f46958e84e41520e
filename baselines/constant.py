"""The constant predictor: class priors of the training labels, whatever the input.

The floor every leaderboard shows (Instrument-Recognition's lesson: an all-negative model scored 84.6% "accuracy" on
OpenMIC). It has no trainable parameter and reads no feature: the harness computes no features for it
(``frontend_name = None``; its windows are one placeholder per clip), skips training, and records its
only setting, the evaluation batch size.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import torch
from torch import nn

from pydantic import BaseModel, ConfigDict, Field

from irbench.baselines.base import Baseline, ModelSpec
from irbench.task import PredictionType

_EPSILON = 1e-6


class ConstantNet(nn.Module):
    """Returns the same logits ``(batch, n_classes)`` for every input: log priors (single-label, so softmax
    gives the priors) or logit priors (multi-label, so sigmoid gives them)."""

    def __init__(self, priors: np.ndarray, prediction_type: PredictionType):
        super().__init__()
        p = torch.as_tensor(np.clip(priors, _EPSILON, 1 - _EPSILON), dtype=torch.float32)
        logits = p.log() if prediction_type is PredictionType.SINGLE_LABEL else torch.logit(p)
        self.register_buffer("logits", logits)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, ...)`` -> ``(batch, n_classes)``."""
        return self.logits.expand(features.shape[0], -1)


class ConstantConfig(BaseModel):
    """The constant predictor's only setting: ``batch_size``, windows scored at once in evaluation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_size: int = Field(256, gt=0)


class ConstantBaseline(Baseline):
    """Registered as ``constant``: training class priors for every clip."""

    name = "constant"
    description = "Constant predictor: training-set class priors for every clip (the floor)."
    source = "irbench reference (class priors)"
    frontend_name: ClassVar[str | None] = None  # reads no feature
    frontend_config = None
    input_frames: ClassVar[int] = 1
    training = ConstantConfig()

    def build(self, spec: ModelSpec, config: ConstantConfig) -> nn.Module:
        """A ``ConstantNet`` holding ``spec.class_priors``."""
        return ConstantNet(spec.class_priors, spec.prediction_type)
