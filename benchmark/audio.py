"""Decoding audio files to mono float32 at a target sample rate (soundfile + soxr)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile
import soxr

from irbench.errors import AudioDecodeError

RESAMPLER_QUALITY = "HQ"  # soxr quality; part of every feature cache key


def load_audio(path: Path, sample_rate: int) -> np.ndarray:
    """Read ``path``, average its channels to mono and resample to ``sample_rate`` Hz.

    Channel averaging matches Essentia's ``MonoLoader`` (seed 000) and ``librosa.to_mono``.

    Returns
    -------
    ``(samples,)`` float32 array in [-1, 1].

    Raises
    ------
    AudioDecodeError: the file is missing, unreadable, not audio, or holds no samples.
    """
    try:
        audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError, ValueError) as error:
        raise AudioDecodeError(path, str(error)) from error
    if audio.size == 0:
        raise AudioDecodeError(path, "the file holds no audio samples")
    mono = audio.mean(axis=1)
    if rate != sample_rate:
        mono = soxr.resample(mono, rate, sample_rate, quality=RESAMPLER_QUALITY)
    if not np.all(np.isfinite(mono)):
        raise AudioDecodeError(path, "the decoded audio holds NaN or infinite samples")
    return np.ascontiguousarray(mono, dtype=np.float32)
