"""Transformer encoder over the MFCC frames of one clip, after instrument-classifier (ofargally/instrument-classifier,
MusicNet 12 classes).

Source, kept: librosa 22,050 Hz, 13 MFCC (hop 255 samples, 96 mel bands 20-11,025 Hz, n_fft 2048),
standardised; Linear 13-128 -> one post-LN TransformerEncoderLayer (d_model 128, 4 heads, feed-forward
2048, dropout 0.429) -> Linear 128-C; Adam lr 5.5e-5, batch 64, 40 epochs.

Deviations, each fixing a defect of the source:

- attention runs over the TIME frames of one window (about 3 s, 256 frames) with sinusoidal positional
  encoding, pooled by the mean over time to clip logits (the source fed single 13-d frames, so attention
  ran across the shuffled frames of a minibatch);
- the standardisation statistics come from the training windows only (the source fitted a fresh scaler on
  the test set);
- no test window is dropped (the source's test loader dropped its last partial batch); labels follow the
  task's classes (the source's column 0 meant "no note" and group 12 was dropped).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import torch
from pydantic import Field
from torch import nn

from irbench.baselines.base import Baseline, ModelSpec, TrainingConfig
from irbench.features.mfcc import MfccConfig


class TransformerConfig(TrainingConfig):
    """Adds the encoder's ``d_model``, ``heads``, ``feedforward``, ``layers`` and ``dropout``."""

    d_model: int = Field(128, gt=0)
    heads: int = Field(4, gt=0)
    feedforward: int = Field(2048, gt=0)
    layers: int = Field(1, gt=0)
    dropout: float = Field(0.429, ge=0, lt=1)


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


class TransformerBaseline(Baseline):
    """Registered as ``transformer``; see the module docstring."""

    name = "transformer"
    description = "Transformer encoder over the MFCC frames of a 3 s window (instrument-classifier), defects fixed."
    source = "ofargally/instrument-classifier (MusicNet)"
    frontend_name = "mfcc"
    frontend_config = MfccConfig()
    input_frames: ClassVar[int] = 256
    training = TransformerConfig(learning_rate=5.5e-5, batch_size=64, max_epochs=40, patience=8)

    def build(self, spec: ModelSpec, config: TransformerConfig) -> nn.Module:
        """A ``TransformerNet`` standardised with the training windows' statistics."""
        return TransformerNet(spec.n_classes, spec.input_shape, spec.feature_mean, spec.feature_std, config)
