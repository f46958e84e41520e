"""The ``constant`` baseline's network (fixed logits, no trainable parameter); see
:mod:`irbench.baselines.constant`."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

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
