"""What every front end shares: its configuration, sample rate, frame rate, padding value, and batching."""

from __future__ import annotations

from typing import ClassVar

import torch
from pydantic import BaseModel


class Frontend(torch.nn.Module):
    """A feature extractor: waveforms ``(batch, samples)`` or ``(samples,)`` at ``sample_rate`` Hz ->
    features ``(batch, n_features, frames)`` (batch axis kept only if given).

    Subclasses set ``name`` and ``config_class`` (a pydantic model with ``sample_rate`` and ``hop_length``)
    and implement ``transform`` on a batch.
    """

    name: ClassVar[str]
    config_class: ClassVar[type[BaseModel]]

    def __init__(self, config: BaseModel | None = None):
        super().__init__()
        self.config = config or self.config_class()

    @property
    def sample_rate(self) -> int:
        """Input sample rate in Hz."""
        return self.config.sample_rate

    @property
    def hop_length(self) -> int:
        """Samples between frames."""
        return self.config.hop_length

    @property
    def frames_per_second(self) -> float:
        """Frame rate in Hz: ``sample_rate / hop_length``."""
        return self.sample_rate / self.hop_length

    @property
    def pad_value(self) -> float:
        """Feature value of silence, used to pad windows past a clip's end (0 unless overridden)."""
        return 0.0

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``(batch, n_features, frames)``."""
        raise NotImplementedError

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` or ``(samples,)`` -> features, batch axis kept only if given."""
        if waveform.dim() == 1:
            return self.transform(waveform[None])[0]
        return self.transform(waveform)
