"""MLP on a resized dB spectrogram, after Multi-Instrument-Detection (anthonybob/Multi-Instrument-Detection, Medley-solos-DB).

Source, kept: librosa 22,050 Hz; ``|STFT|`` n_fft 2048, hop 512, Hann, centred (1025 x 129 for 2.97 s),
resized to 150 x 150 by area interpolation, ``amplitude_to_db(ref=max, top_db=80)``, flattened to 22,500;
three ReLU hidden layers (1,000 units for 8 classes, 500 for piano vs violin); SGD, batch 32, gradient-norm
clipping at 1.0.

Deviations, each fixing a defect of the source:

- features stay float32 (the source rounded them to 2 decimals by saving them as text);
- SGD momentum 0.9 (the source set momentum equal to the learning rate, 1e-4 or 1e-3);
- early stopping on validation loss and the best validation checkpoint (the source ran epochs with no
  stopping rule and chose the checkpoint on the TEST set);
- windows of 129 frames over any clip, so the model also runs on clips longer than Medley-solos-DB's.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F
from pydantic import Field
from torch import nn

from irbench.baselines.base import Baseline, ModelSpec, TrainingConfig
from irbench.features.resized_stft import ResizedStftConfig
from irbench.features.spectral import amplitude_to_db_relative_to_max


class MlpConfig(TrainingConfig):
    """Adds ``hidden_units`` (per hidden layer; ``None``: 500 for 2 classes, else 1,000) and ``side``
    (the square image size, 150)."""

    hidden_units: int | None = Field(None, gt=0)
    side: int = Field(150, gt=0)


class MlpNet(nn.Module):
    """``(batch, n_bins, frames)`` magnitudes -> resize to ``side x side`` -> dB re. max -> MLP -> logits."""

    def __init__(self, n_classes: int, hidden_units: int, side: int = 150, layers: int = 3):
        super().__init__()
        self.side = side
        sizes = [side * side] + [hidden_units] * layers
        blocks: list[nn.Module] = []
        for a, b in zip(sizes, sizes[1:]):
            blocks += [nn.Linear(a, b), nn.ReLU()]
        self.mlp = nn.Sequential(*blocks, nn.Linear(sizes[-1], n_classes))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, n_bins, frames)`` -> ``(batch, n_classes)``."""
        image = F.interpolate(features[:, None], size=(self.side, self.side), mode="area")[:, 0]
        return self.mlp(amplitude_to_db_relative_to_max(image).flatten(1))


class MlpBaseline(Baseline):
    """Registered as ``mlp``; see the module docstring."""

    name = "mlp"
    description = "MLP on a 150x150 dB STFT image (anthonybob/Multi-Instrument-Detection, Medley-solos-DB), defects fixed."
    source = "anthonybob/Multi-Instrument-Detection (G. Baker, A. Bobrovnikov; Medley-solos-DB MLP)"
    frontend_name = "resized-stft"
    frontend_config = ResizedStftConfig()
    input_frames: ClassVar[int] = 129
    training = MlpConfig(optimizer="sgd", learning_rate=1e-3, momentum=0.9, batch_size=32, max_epochs=60,
                         patience=10, gradient_clip=1.0)

    def build(self, spec: ModelSpec, config: MlpConfig) -> nn.Module:
        """An ``MlpNet``; 500 hidden units for binary tasks unless ``hidden_units`` is set."""
        units = config.hidden_units or (500 if spec.n_classes == 2 else 1000)
        return MlpNet(spec.n_classes, units, config.side)
