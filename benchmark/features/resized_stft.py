"""Multi-Instrument-Detection's front end (anthonybob/Multi-Instrument-Detection, Medley-solos-DB MLP), split between cache and model.

The seed: librosa at 22,050 Hz; ``|STFT|`` with n_fft 2048, hop 512, Hann, centred (1025 bins x 129 frames
for a 2.97 s clip), resized to 150 x 150 with area interpolation, ``amplitude_to_db(ref=max, top_db=80)``,
flattened to 22,500 values. Here the front end does the frequency half of the resize (1025 -> 150 bins by
area interpolation) and the model the time half and the dB step per window, so cached features stay small
and a window of any clip length is treated like the seed's whole clip.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field

from irbench.features.base import Frontend
from irbench.features.spectral import stft_power


class ResizedStftConfig(BaseModel):
    """sample_rate (Hz), n_fft and hop_length (samples), n_bins (frequency rows after the area resize)."""

    model_config = ConfigDict(frozen=True)

    sample_rate: int = Field(22_050, gt=0)
    n_fft: int = Field(2048, gt=0)
    hop_length: int = Field(512, gt=0)
    n_bins: int = Field(150, gt=0)


class ResizedStft(Frontend):
    """Waveforms ``(batch, samples)`` -> linear magnitudes ``(batch, n_bins, frames)``, frequency axis
    area-resized from ``1 + n_fft // 2`` bins."""

    name = "resized-stft"
    config_class = ResizedStftConfig

    def __init__(self, config: ResizedStftConfig | None = None):
        super().__init__(config)
        self.register_buffer("window", torch.hann_window(self.config.n_fft, periodic=True), persistent=False)

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``(batch, n_bins, frames)``."""
        c = self.config
        magnitude = stft_power(waveform, c.n_fft, c.hop_length, self.window, power=1.0)
        return F.interpolate(magnitude[:, None], size=(c.n_bins, magnitude.shape[-1]), mode="area")[:, 0]
