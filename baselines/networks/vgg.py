"""The ``vgg`` baseline's network; source, architecture and deviations are in :mod:`irbench.baselines.vgg`."""

from __future__ import annotations

import torch
from torch import nn

CHANNELS = (16, 32, 64, 128, 128)
"""Output channels of the five convolution blocks."""


class VGGNet(nn.Module):
    """IRMAS_Deep_Learning's network: ``(batch, n_mels, frames)`` -> logits ``(batch, n_classes)``.

    Raises ``ValueError`` when the input is too small for five 2x2 poolings (under 32 x 32).
    """

    def __init__(self, n_classes: int, input_shape: tuple[int, int], dropout: float = 0.5):
        super().__init__()
        if min(input_shape) < 2 ** len(CHANNELS):
            raise ValueError(f"VGG needs at least 32 x 32 inputs, got {input_shape}")
        layers: list[nn.Module] = []
        previous = 1
        for channels in CHANNELS:
            layers += [nn.Conv2d(previous, channels, 3, 1, 1), nn.ReLU(), nn.BatchNorm2d(channels), nn.MaxPool2d(2)]
            previous = channels
        self.features = nn.Sequential(*layers)
        flat = CHANNELS[-1] * (input_shape[0] // 32) * (input_shape[1] // 32)
        self.head = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.BatchNorm1d(flat), nn.Linear(flat, 64), nn.ReLU(),
            nn.Linear(64, n_classes),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, n_mels, frames)`` -> ``(batch, n_classes)`` logits."""
        return self.head(self.features(features[:, None]))
