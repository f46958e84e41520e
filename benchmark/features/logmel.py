"""Log-mel spectrogram front end in torch (runs on CPU or GPU), checked against librosa in the tests.

Defaults are IRMAS_Deep_Learning's Essentia front end (claudia-hm/IRMAS_Deep_Learning): mono 16 kHz, frame 1024,
hop 512, Hann window, power mel spectrogram with 64 Slaney-scale, Slaney-normalised (unit-area) triangular
bands from 0 to 8,000 Hz, log10 with a floor (the original took log10 without one). With ``scale="db"`` it
is PANNs Cnn14's (Kong et al. 2020): ``10 log10(max(mel, floor))``. The mel filterbank comes from
``librosa.filters.mel``.

Its configuration, :class:`~irbench.features.configs.LogMelConfig`, lives in :mod:`irbench.features.configs`
(torch-free, so that a baseline's declaration imports without this module).
"""

from __future__ import annotations

import math

import librosa
import torch

from irbench.features.base import FrameGrid, Frontend
from irbench.features.configs import LogMelConfig
from irbench.features.spectral import power_to_db, stft_power


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
