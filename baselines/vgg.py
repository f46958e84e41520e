"""VGG-style CNN on log-mel patches, after IRMAS_Deep_Learning (claudia-hm/IRMAS_Deep_Learning, UPF 2020).

Source architecture, kept: input ``(1, 64 mel, 64 frames)`` (about 2.05 s at 16 kHz, hop 512);
5 x [Conv 3x3 stride 1 pad 1 -> ReLU -> BatchNorm -> MaxPool 2] with channels 1-16-32-64-128-128; flatten
(512) -> Dropout 0.5 -> BatchNorm1d -> Linear 512-64 -> ReLU -> Linear 64-C. Adam, lr 1e-3, batch 64,
40 epochs.

Deviations, each fixing a defect of the source:

- emits logits; the harness applies the loss (the source applied softmax before ``CrossEntropyLoss``,
  a double softmax);
- log10 with a floor of 1e-10 (the source took log10 of zero in silent bins);
- features in torch, matching Essentia's mel settings (Slaney scale, unit-area triangles, 0-8 kHz);
- training split grouped by recording with a 15% validation split, early stopping (patience 8) on
  validation loss, evaluation on the IRMAS test set with the Han et al. protocol (the source split by clip,
  had no validation set and reported accuracy on a slice of the training set).
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import nn

from irbench.baselines.base import Baseline, ModelSpec, TrainingConfig
from irbench.features.logmel import LogMelConfig

CHANNELS = (16, 32, 64, 128, 128)


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


class VGGBaseline(Baseline):
    """Registered as ``vgg``; see the module docstring for source and deviations."""

    name = "vgg"
    description = "VGG-style CNN on 64x64 log-mel patches (claudia-hm/IRMAS_Deep_Learning), defects fixed."
    source = "claudia-hm/IRMAS_Deep_Learning (UPF 2020)"
    frontend_config = LogMelConfig()
    input_frames: ClassVar[int] = 64
    training = TrainingConfig(learning_rate=1e-3, batch_size=64, max_epochs=40, patience=8)

    def build(self, spec: ModelSpec, config: TrainingConfig) -> nn.Module:
        """A fresh ``VGGNet`` for ``spec.n_classes`` outputs."""
        return VGGNet(spec.n_classes, spec.input_shape)
