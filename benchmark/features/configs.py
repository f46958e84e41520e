"""The built-in front ends' configurations (pydantic models), with the arithmetic a declaration does on them.

A baseline's declaration (:mod:`irbench.baselines`: its front end, configuration and window) is read by
``irbench report`` and ``irbench list`` to name each configuration, so it must be importable without the
front ends themselves: those build filterbanks with librosa and scipy and run in torch. This module
imports only the standard library and pydantic (no torch, librosa, scipy or numpy), the way Hugging Face
transformers keeps ``configuration_X.py`` apart from ``modeling_X.py``; each front-end module (``logmel``,
``mfcc``, ``resized_stft``, ``multi_stft``) imports its configuration from here. Every field is part of
the feature cache key and of the run record's digest: a change to a field, default or validator changes
both.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LogMelConfig", "MfccConfig", "MultiStftConfig", "ResizedStftConfig", "n_frames"]


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


class MfccConfig(BaseModel):
    """sample_rate (Hz), n_fft, hop_length (samples), n_mels, n_mfcc, f_min and f_max (Hz), top_db (dB)."""

    model_config = ConfigDict(frozen=True)

    sample_rate: int = Field(22_050, gt=0)
    n_fft: int = Field(2048, gt=0)
    hop_length: int = Field(255, gt=0)
    n_mels: int = Field(96, gt=0)
    n_mfcc: int = Field(13, gt=0)
    f_min: float = Field(20.0, ge=0)
    f_max: float = Field(11_025.0, gt=0)
    top_db: float = Field(80.0, gt=0)


class ResizedStftConfig(BaseModel):
    """sample_rate (Hz), n_fft and hop_length (samples), n_bins (frequency rows after the resize), resize
    (how the ``1 + n_fft // 2`` bins become ``n_bins``: ``opencv-inter-area``, OpenCV's ``INTER_AREA``
    weights for an image also enlarged in time, see :mod:`irbench.features.resized_stft`; a field so that
    the cache key differs from the torch area pooling used before, whose features were cached without it)."""

    model_config = ConfigDict(frozen=True)

    sample_rate: int = Field(22_050, gt=0)
    n_fft: int = Field(2048, gt=0)
    hop_length: int = Field(512, gt=0)
    n_bins: int = Field(150, gt=0)
    resize: Literal["opencv-inter-area"] = "opencv-inter-area"


class MultiStftConfig(BaseModel):
    """sample_rate (Hz) and per band ``(n_fft, low Hz, high Hz)``; hop = n_fft / 4; bands go from the
    coarsest time resolution to the finest, each n_fft half the one before."""

    model_config = ConfigDict(frozen=True)

    sample_rate: int = Field(22_050, gt=0)
    bands: tuple[tuple[int, float, float], ...] = ((1024, 0.0, 1000.0), (512, 1000.0, 4000.0),
                                                     (256, 4000.0, 11025.0))


def n_frames(seconds: float, config: MultiStftConfig) -> int:
    """Frames of ``seconds`` of audio at the multi-STFT's first band's hop (``n_fft / 4`` samples)."""
    return 1 + math.floor(seconds * config.sample_rate) // (config.bands[0][0] // 4)
