"""Multi-Instrument-Detection's front end (anthonybob/Multi-Instrument-Detection, Medley-solos-DB MLP), split between cache and model.

The source (``Spectogram.py``, ``Model.py``): ``librosa.load`` at 22,050 Hz; ``librosa.stft`` n_fft 2048,
hop 512, Hann, centred (1025 bins x 129 frames for a 2.97 s clip); ``cv2.resize(np.abs(S), (150, 150),
interpolation=cv2.INTER_AREA)``; ``librosa.amplitude_to_db(ref=np.max)`` (top 80 dB); flattened to 22,500.

OpenCV averages areas only when an image shrinks along both axes. The source's image is enlarged in time
(129 -> 150 frames), so OpenCV takes its interpolating branch with area-style offsets on BOTH axes: each
of the 150 rows blends two neighbouring STFT bins (``floor(r * 1025 / 150)`` and the next) and the 4 or 5
bins up to the next row's pair are dropped (300 of the 1025 bins are used); each of the 150 columns blends
at most two frames. The
resize is separable, so here the front end applies the frequency half (1025 -> 150 rows) and the MLP the
time half and the dB step per 129-frame window (:class:`irbench.baselines.networks.mlp.MlpNet`): cached features
stay small, and a window of any clip is treated like the source's whole clip. Both halves use the
weights OpenCV itself applies, read off by resizing an identity matrix with ``cv2.resize``
(:func:`opencv_area_weights`), so no interpolation rule is re-implemented here.

Measured on the 7 real Medley-solos-DB clips of ``../shared/data/real`` against the source's pipeline
run with librosa 0.11 and OpenCV 5.0 (OpenCV 4.14 gives the identical image): before, with torch area
pooling on both axes, the MLP's dB image differed from the source's by 3.3-11.0 dB per pixel on average
per clip (6.3 dB over the 7) and by up to 66.9 dB; now by 0.00003 dB per pixel on average and at most
0.007 dB (float32 FFT and summation order). ``tests/test_resized_stft.py`` holds it under 0.01 dB mean and
0.1 dB max.

Deviations from the source's numbers, measured on the same clips (mean per pixel over the 7, range of
the per-clip means, largest single pixel):

- centred frames are zero-padded (librosa >= 0.10's default, so what the source's code does today); the
  librosa 0.8 of 2021 padded by reflection, which changes the edge frames: 0.15 dB (0.05-0.25), up to 36 dB;
- resampling to 22,050 Hz with soxr HQ (librosa >= 0.10's default); librosa 0.8 used resampy
  ``kaiser_best``: 0.31 dB (0.003-0.81), up to 26 dB, in the rows above 10 kHz, where the two resamplers'
  anti-aliasing filters differ;
- features stay float32: the source saved the resized magnitudes as text rounded to 2 decimals (``%.2f``)
  before the dB step: 0.80 dB (0.14-2.0), up to 10.9 dB.

Its configuration, :class:`~irbench.features.configs.ResizedStftConfig`, lives in :mod:`irbench.features.configs`
(torch-free, so that a baseline's declaration imports without this module).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from irbench.features.base import Frontend
from irbench.features.configs import ResizedStftConfig
from irbench.features.spectral import stft_power


@lru_cache(maxsize=16)
def _weights(n_in: int, n_out: int) -> np.ndarray:
    import cv2  # opencv-python-headless; imported here so that other front ends never load it

    # cv2's dsize is (width, height): the identity's n_in rows become n_out; its columns are doubled, so the
    # probe is enlarged along one axis and cv2 takes the branch it takes for the source's image. Doubling
    # repeats every column with weight 1, so the even columns are the row weights themselves.
    probe = cv2.resize(np.eye(n_in, dtype=np.float32), (2 * n_in, n_out), interpolation=cv2.INTER_AREA)
    weights = np.ascontiguousarray(probe[:, ::2])
    weights.flags.writeable = False
    return weights


def opencv_area_weights(n_in: int, n_out: int) -> np.ndarray:
    """``(n_out, n_in)`` float32: the weights ``cv2.resize(image, ..., interpolation=cv2.INTER_AREA)``
    applies along one axis of ``n_in`` samples resized to ``n_out``, when the image is enlarged along at
    least one axis (as the source's 1025 x 129 -> 150 x 150 is in time); each row sums to 1 and has at most
    two non-zero weights. Read from OpenCV by resizing an identity matrix; memoised, read-only.

    ``cv2.resize(X, (n_cols_out, n_rows_out), interpolation=cv2.INTER_AREA)`` equals
    ``opencv_area_weights(rows, n_rows_out) @ X @ opencv_area_weights(cols, n_cols_out).T`` to float32
    rounding whenever ``n_cols_out > cols`` or ``n_rows_out > rows``.

    Raises ``ValueError`` when ``n_in`` or ``n_out`` is not positive."""
    if n_in <= 0 or n_out <= 0:
        raise ValueError(f"resize lengths must be positive, got {n_in} -> {n_out}")
    return _weights(int(n_in), int(n_out))


class ResizedStft(Frontend):
    """Waveforms ``(batch, samples)`` -> linear magnitudes ``(batch, n_bins, frames)``: ``|STFT|`` of
    ``1 + n_fft // 2`` bins, zero-padded centred frames (``frames = 1 + samples // hop_length``), the
    frequency axis resized by OpenCV's ``INTER_AREA`` weights (:func:`opencv_area_weights`)."""

    name = "resized-stft"
    config_class = ResizedStftConfig
    thread_safe = True  # buffers only read; torch ops on the calling thread

    def __init__(self, config: ResizedStftConfig | None = None):
        super().__init__(config)
        c = self.config
        self.register_buffer("window", torch.hann_window(c.n_fft, periodic=True), persistent=False)
        weights = torch.tensor(opencv_area_weights(1 + c.n_fft // 2, c.n_bins))  # (n_bins, 1 + n_fft // 2)
        self.register_buffer("frequency_weights", weights, persistent=False)

    def spectra(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``|STFT|`` ``(batch, 1 + n_fft // 2, frames)``."""
        c = self.config
        return stft_power(waveform, c.n_fft, c.hop_length, self.window, power=1.0)

    def finish(self, spectra: torch.Tensor, index: int, samples: int) -> torch.Tensor:
        """Item ``index`` of :meth:`spectra`, cut to its own frames -> ``(n_bins, frames)``."""
        return torch.matmul(self.frequency_weights, spectra[index: index + 1, :, : self.frames(samples)])[0]

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``(batch, n_bins, frames)``."""
        return torch.matmul(self.frequency_weights, self.spectra(waveform))
