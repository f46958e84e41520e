"""DL_Project's multi-resolution STFT front end (ofekdd/DL_Project, Technion; IRMAS).

Three centred Hann STFTs of a 22,050 Hz signal with hop = n_fft / 4, each cropped to a band: n_fft 1024
keeping 0-1 kHz, 512 keeping 1-4 kHz, 256 keeping 4-11.025 kHz (linear magnitudes; the model converts each
band to dB relative to its maximum per window, as the seed did per clip). The finer bands have 2 and 4
frames per frame of the first; they are folded into one array ``(F1 + 2 F2 + 4 F3, frames)`` on the first
band's frame rate so the cache and the windows treat them as one feature; :func:`unfold_bands` undoes it.

Its configuration, :class:`~irbench.features.configs.MultiStftConfig`, lives in :mod:`irbench.features.configs`
(torch-free, so that a baseline's declaration imports without this module).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from irbench.features.base import FrameGrid, Frontend
from irbench.features.configs import MultiStftConfig
from irbench.features.spectral import stft_power


def band_bins(config: MultiStftConfig) -> list[tuple[int, int]]:
    """``(first, last + 1)`` STFT bin of each band: bins whose centre frequency lies in ``[low, high]``."""
    out = []
    for n_fft, low, high in config.bands:
        frequencies = np.arange(n_fft // 2 + 1) * config.sample_rate / n_fft
        inside = np.flatnonzero((frequencies >= low) & (frequencies <= high))
        out.append((int(inside[0]), int(inside[-1]) + 1))
    return out


def folds(config: MultiStftConfig) -> list[int]:
    """Frames of each band per frame of the first band (1, 2, 4 for the defaults)."""
    return [config.bands[0][0] // n_fft for n_fft, _, _ in config.bands]


def unfold_bands(features: torch.Tensor, config: MultiStftConfig) -> list[torch.Tensor]:
    """``(batch, rows, frames)`` folded features -> per band ``(batch, bins_b, frames * fold_b)``."""
    out, row = [], 0
    for (first, last), fold in zip(band_bins(config), folds(config)):
        bins = last - first
        block = features[:, row: row + bins * fold]
        batch, _, frames = block.shape
        out.append(block.reshape(batch, fold, bins, frames).permute(0, 2, 3, 1).reshape(batch, bins, frames * fold))
        row += bins * fold
    return out


class MultiStft(Frontend):
    """Waveforms ``(batch, samples)`` -> folded band magnitudes ``(batch, F1 + 2 F2 + 4 F3, frames)`` at
    the first band's hop (``n_fft / 4`` = 256 samples, 11.6 ms by default)."""

    name = "multi-stft"
    config_class = MultiStftConfig
    thread_safe = True  # buffers only read; torch ops on the calling thread

    def __init__(self, config: MultiStftConfig | None = None):
        super().__init__(config)
        for n_fft, _, _ in self.config.bands:
            self.register_buffer(f"window_{n_fft}", torch.hann_window(n_fft, periodic=True), persistent=False)

    @classmethod
    def grid(cls, config: MultiStftConfig) -> FrameGrid:
        """Frames at the first band's hop (``n_fft / 4`` samples); silence is 0 (linear magnitudes)."""
        return FrameGrid(config.sample_rate, config.bands[0][0] // 4, 0.0)

    @property
    def n_rows(self) -> int:
        """Rows of the folded array."""
        return sum((last - first) * fold for (first, last), fold in zip(band_bins(self.config), folds(self.config)))

    def spectra(self, waveform: torch.Tensor) -> list[torch.Tensor]:
        """``(batch, samples)`` -> per band ``|STFT|`` ``(batch, 1 + n_fft // 2, 1 + samples // (n_fft / 4))``."""
        return [stft_power(waveform, n_fft, n_fft // 4, getattr(self, f"window_{n_fft}"), power=1.0)
                for n_fft, _, _ in self.config.bands]

    def finish(self, spectra: list[torch.Tensor], index: int, samples: int) -> torch.Tensor:
        """Item ``index`` of :meth:`spectra`, each band cut to its own frames -> ``(rows, frames)``."""
        cut = [band[index: index + 1, :, : 1 + samples // (n_fft // 4)]
               for band, (n_fft, _, _) in zip(spectra, self.config.bands)]
        return self._fold(cut, self.frames(samples))[0]

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``(batch, rows, frames)``."""
        return self._fold(self.spectra(waveform), self.frames(waveform.shape[-1]))

    def _fold(self, magnitudes: list[torch.Tensor], frames: int) -> torch.Tensor:
        blocks = []
        for magnitude, (first, last), fold in zip(magnitudes, band_bins(self.config), folds(self.config)):
            band = magnitude[:, first:last]
            wanted = frames * fold
            band = F.pad(band, (0, max(0, wanted - band.shape[-1])))[..., :wanted]
            batch, bins, _ = band.shape
            blocks.append(band.reshape(batch, bins, frames, fold).permute(0, 3, 1, 2).reshape(batch, fold * bins, frames))
        return torch.cat(blocks, dim=1)
