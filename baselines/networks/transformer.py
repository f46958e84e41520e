"""The ``transformer`` baseline's network; source, architecture and deviations are in
:mod:`irbench.baselines.transformer`."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:  # the declaration imports this module in build(); importing it back would close a cycle
    from irbench.baselines.transformer import TransformerConfig


def sinusoidal_encoding(frames: int, d_model: int) -> torch.Tensor:
    """Vaswani et al. (2017) positional encoding ``(frames, d_model)``."""
    position = torch.arange(frames, dtype=torch.float32)[:, None]
    rate = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10_000.0) / d_model))
    encoding = torch.zeros(frames, d_model)
    encoding[:, 0::2] = torch.sin(position * rate)
    encoding[:, 1::2] = torch.cos(position * rate[: d_model // 2])
    return encoding


class TransformerNet(nn.Module):
    """``(batch, n_features, frames)`` -> standardise -> project -> encoder over time -> mean -> logits."""

    def __init__(self, n_classes: int, input_shape: tuple[int, int], mean: np.ndarray, std: np.ndarray,
                 config: TransformerConfig):
        super().__init__()
        n_features, frames = input_shape
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32)[:, None])
        self.register_buffer("std", torch.as_tensor(np.maximum(std, 1e-6), dtype=torch.float32)[:, None])
        self.register_buffer("position", sinusoidal_encoding(frames, config.d_model))
        self.project = nn.Linear(n_features, config.d_model)
        layer = nn.TransformerEncoderLayer(config.d_model, config.heads, config.feedforward, config.dropout,
                                           batch_first=True, norm_first=False)
        self.encoder = nn.TransformerEncoder(layer, config.layers, enable_nested_tensor=False)
        self.head = nn.Linear(config.d_model, n_classes)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, n_features, frames)`` -> ``(batch, n_classes)``."""
        x = ((features - self.mean) / self.std).transpose(1, 2)
        x = self.project(x) + self.position[: x.shape[1]]
        return self.head(self.encoder(x).mean(dim=1))
