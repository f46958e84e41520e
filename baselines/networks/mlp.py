"""The ``mlp`` baseline's network; source, architecture and deviations are in :mod:`irbench.baselines.mlp`."""

from __future__ import annotations

import torch
from torch import nn

from irbench.errors import ConfigError
from irbench.features.resized_stft import opencv_area_weights
from irbench.features.spectral import amplitude_to_db_relative_to_max


class MlpNet(nn.Module):
    """``(batch, side, frames)`` magnitudes (frequency already resized by the front end) -> time resized
    to ``side`` with OpenCV's ``INTER_AREA`` weights -> dB re. max (top 80 dB) -> MLP -> logits.

    Raises ``ConfigError`` when ``frames >= side``: OpenCV would then average areas (the source's image is
    enlarged in time), which the front end's frequency weights do not reproduce."""

    def __init__(self, n_classes: int, hidden_units: int, side: int = 150, layers: int = 3, frames: int = 129):
        super().__init__()
        if frames >= side:
            raise ConfigError(f"mlp: windows of {frames} frames would shrink to {side} columns; the source's "
                              f"OpenCV resize (and the front end's weights) assume fewer than {side} frames")
        self.side, self.frames = side, frames
        time_weights = torch.tensor(opencv_area_weights(frames, side)).T.contiguous()  # (frames, side)
        self.register_buffer("time_weights", time_weights, persistent=False)
        sizes = [side * side] + [hidden_units] * layers
        blocks: list[nn.Module] = []
        for a, b in zip(sizes, sizes[1:]):
            blocks += [nn.Linear(a, b), nn.ReLU()]
        self.mlp = nn.Sequential(*blocks, nn.Linear(sizes[-1], n_classes))

    def image(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, side, frames)`` magnitudes -> the source's dB image ``(batch, side, side)`` (dB re. each
        item's maximum, floored at -80).

        Raises ``ValueError`` when the features are not ``(batch, side, frames)``."""
        if features.dim() != 3 or tuple(features.shape[1:]) != (self.side, self.frames):
            raise ValueError(f"expected (batch, {self.side}, {self.frames}) features, got {tuple(features.shape)}")
        return amplitude_to_db_relative_to_max(torch.matmul(features, self.time_weights))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, side, frames)`` -> ``(batch, n_classes)``."""
        return self.mlp(self.image(features).flatten(1))
