"""MFCC front end in torch, after instrument-classifier (ofargally/instrument-classifier, MusicNet) and librosa.

``librosa.feature.mfcc`` defaults with instrument-classifier's settings: 22,050 Hz, n_fft 2048, hop 255 samples
(11.56 ms), 96 Slaney mel bands 20-11,025 Hz, power spectrogram, ``power_to_db(ref=1, top_db=80)`` over the
clip, DCT-II (orthonormal, matrix from ``scipy.fft.dct``), first 13 coefficients.

Its configuration, :class:`~irbench.features.configs.MfccConfig`, lives in :mod:`irbench.features.configs`
(torch-free, so that a baseline's declaration imports without this module).
"""

from __future__ import annotations

import librosa
import numpy as np
import scipy.fft
import torch

from irbench.features.base import Frontend
from irbench.features.configs import MfccConfig
from irbench.features.spectral import power_to_db, stft_power


class Mfcc(Frontend):
    """Waveforms ``(batch, samples)`` -> MFCC ``(batch, n_mfcc, frames)``."""

    name = "mfcc"
    config_class = MfccConfig
    thread_safe = True  # buffers only read; torch ops on the calling thread
    frame_local = False  # the top_db floor is relative to the whole clip's maximum

    def __init__(self, config: MfccConfig | None = None):
        super().__init__(config)
        c = self.config
        mel = librosa.filters.mel(sr=c.sample_rate, n_fft=c.n_fft, n_mels=c.n_mels, fmin=c.f_min, fmax=c.f_max)
        dct = scipy.fft.dct(np.eye(c.n_mels), type=2, norm="ortho", axis=0)[: c.n_mfcc]
        self.register_buffer("mel_basis", torch.from_numpy(mel).float(), persistent=False)
        self.register_buffer("dct", torch.from_numpy(dct).float(), persistent=False)
        self.register_buffer("window", torch.hann_window(c.n_fft, periodic=True), persistent=False)

    def spectra(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``|STFT|**2`` ``(batch, 1 + n_fft // 2, frames)``."""
        c = self.config
        return stft_power(waveform, c.n_fft, c.hop_length, self.window)

    def finish(self, spectra: torch.Tensor, index: int, samples: int) -> torch.Tensor:
        """Item ``index`` of :meth:`spectra`, cut to its own frames before the clip-level dB floor ->
        ``(n_mfcc, frames)``."""
        return self._mfcc(spectra[index: index + 1, :, : self.frames(samples)])[0]

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``(batch, n_mfcc, frames)``."""
        return self._mfcc(self.spectra(waveform))

    def _mfcc(self, power: torch.Tensor) -> torch.Tensor:
        mel = torch.matmul(self.mel_basis, power)
        return torch.matmul(self.dct, power_to_db(mel, top_db=self.config.top_db))
