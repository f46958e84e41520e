"""Log-mel spectrogram front end in torch (runs on CPU or GPU), checked against librosa in the tests.

Defaults are IRMAS_Deep_Learning's Essentia front end (claudia-hm/IRMAS_Deep_Learning): mono 16 kHz, frame 1024,
hop 512, Hann window, power mel spectrogram with 64 Slaney-scale, Slaney-normalised (unit-area) triangular
bands from 0 to 8,000 Hz, log10 with a floor (the original took log10 without one). With ``scale="db"`` it
is PANNs Cnn14's (Kong et al. 2020): ``10 log10(max(mel, floor))``. The mel filterbank comes from
``librosa.filters.mel``.
"""

from __future__ import annotations

import math
from typing import Literal

import librosa
import torch
from pydantic import BaseModel, ConfigDict, Field

from irbench.features.base import FrameGrid, Frontend
from irbench.features.spectral import power_to_db, stft_power


class LogMelConfig(BaseModel):
    """Log-mel front-end settings; every field is part of the feature cache key.

    sample_rate (Hz), n_fft and hop_length (samples), n_mels (bands), f_min and f_max (Hz), htk (mel scale:
    Slaney when false), norm (filter normalisation, ``"slaney"`` or ``None``), power (1 magnitude,
    2 power), floor (added before log10, or the dB floor), center (frames centred on their sample with zero
    padding), scale (``log10``: ``log10(mel + floor)``; ``db``: ``10 log10(max(mel, floor))``).
    """

    model_config = ConfigDict(frozen=True)

    sample_rate: int = Field(16_000, gt=0)
    n_fft: int = Field(1024, gt=0)
    hop_length: int = Field(512, gt=0)
    n_mels: int = Field(64, gt=0)
    f_min: float = Field(0.0, ge=0)
    f_max: float = Field(8_000.0, gt=0)
    htk: bool = False
    norm: str | None = "slaney"
    power: float = 2.0
    floor: float = Field(1e-10, gt=0)
    center: bool = True
    scale: Literal["log10", "db"] = "log10"


class LogMelSpectrogram(Frontend):
    """Waveforms ``(batch, samples)`` at ``config.sample_rate`` -> log10 mel ``(batch, n_mels, frames)``.

    ``frames = 1 + samples // hop_length`` when ``center`` (as librosa). Float32 throughout.
    """

    name = "log-mel"
    config_class = LogMelConfig
    thread_safe = True  # buffers only read; torch ops on the calling thread

    def __init__(self, config: LogMelConfig | None = None):
        super().__init__(config)
        c = self.config
        mel = librosa.filters.mel(
            sr=c.sample_rate, n_fft=c.n_fft, n_mels=c.n_mels, fmin=c.f_min, fmax=c.f_max, htk=c.htk, norm=c.norm,
        )
        self.register_buffer("mel_basis", torch.from_numpy(mel).float(), persistent=False)
        self.register_buffer("window", torch.hann_window(c.n_fft, periodic=True), persistent=False)

    @classmethod
    def grid(cls, config: LogMelConfig) -> FrameGrid:
        """Frames every ``hop_length`` samples; silence is ``log10(floor)`` (times 10 on the dB scale)."""
        return FrameGrid(config.sample_rate, config.hop_length,
                         math.log10(config.floor) * (10.0 if config.scale == "db" else 1.0))

    def frames(self, samples: int) -> int:
        """``1 + samples // hop_length`` centred, ``1 + (samples - n_fft) // hop_length`` otherwise."""
        c = self.config
        return 1 + (samples if c.center else samples - c.n_fft) // c.hop_length

    def spectra(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``|STFT|**power`` ``(batch, 1 + n_fft // 2, frames)``."""
        c = self.config
        return stft_power(waveform, c.n_fft, c.hop_length, self.window, c.power, c.center)

    def finish(self, spectra: torch.Tensor, index: int, samples: int) -> torch.Tensor:
        """Item ``index`` of :meth:`spectra`, cut to its own frames -> ``(n_mels, frames)``."""
        return self._log_mel(spectra[index: index + 1, :, : self.frames(samples)])[0]

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` float -> ``(batch, n_mels, frames)``."""
        return self._log_mel(self.spectra(waveform))

    def _log_mel(self, power: torch.Tensor) -> torch.Tensor:
        c = self.config
        mel = torch.matmul(self.mel_basis, power)
        return power_to_db(mel, amin=c.floor) if c.scale == "db" else torch.log10(mel + c.floor)
