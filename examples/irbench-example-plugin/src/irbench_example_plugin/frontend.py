"""A third-party front end: frame energy in dB, registered in the ``irbench.frontends`` entry-point group.

Everything a front end needs: subclass :class:`irbench.features.base.Frontend`, give it a frozen pydantic
``config_class`` with ``sample_rate`` and ``hop_length``, implement ``transform``, and declare an entry point
(``frame-energy = "irbench_example_plugin.frontend:FrameEnergy"`` in this package's ``pyproject.toml``). irbench
finds it by name everywhere, also in the spawned processes that compute features (``irbench run -j 4``), and
caches its features like a built-in's.
"""

from __future__ import annotations

import torch
from pydantic import BaseModel, ConfigDict, Field

from irbench.features.base import FrameGrid, Frontend


class FrameEnergyConfig(BaseModel):
    """sample_rate (Hz) the audio is resampled to, hop_length (samples per frame), floor_db (dB of silence)."""

    model_config = ConfigDict(frozen=True)

    sample_rate: int = Field(16_000, gt=0)
    hop_length: int = Field(512, gt=0)
    floor_db: float = Field(-100.0, lt=0)


class FrameEnergy(Frontend):
    """Waveforms ``(batch, samples)`` -> ``(batch, 1, frames)``: the mean square of each run of
    ``hop_length`` samples in dB (``10 log10``, floored at ``floor_db``); ``frames = ceil(samples / hop_length)``
    (at least 1), the last frame zero-padded."""

    name = "frame-energy"
    config_class = FrameEnergyConfig

    @classmethod
    def grid(cls, config: FrameEnergyConfig) -> FrameGrid:
        """Sample rate and hop of ``config``; silence (and padding past a clip's end) is ``floor_db``."""
        return FrameGrid(config.sample_rate, config.hop_length, config.floor_db)

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``(batch, 1, frames)`` energy in dB."""
        hop = self.config.hop_length
        frames = max(1, -(-waveform.shape[-1] // hop))
        padded = torch.nn.functional.pad(waveform, (0, frames * hop - waveform.shape[-1]))
        power = padded.reshape(waveform.shape[0], frames, hop).pow(2).mean(dim=-1)
        floor = 10.0 ** (self.config.floor_db / 10.0)
        return (10.0 * torch.log10(torch.clamp(power, min=floor)))[:, None, :]
