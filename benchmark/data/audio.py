"""Decoding audio files to mono float32 at a target sample rate (soundfile + soxr)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile
import soxr

from irbench.errors import AudioDecodeError

RESAMPLER_QUALITY = "HQ"  # soxr quality; part of every feature cache key
MONO_MIX = "mean"  # channels are averaged; part of every feature cache key


@dataclass(frozen=True)
class DecodedAudio:
    """A decoded file: ``samples`` ``(n,)`` float32 mono at the requested rate, and the file's own length
    ``source_frames`` (samples per channel) at its own rate ``source_rate`` (Hz)."""

    samples: np.ndarray
    source_frames: int
    source_rate: int


def mono_mix(audio: np.ndarray) -> np.ndarray:
    """Average the channels of ``(n, channels)`` float32 audio to ``(n,)``.

    The same numbers as ``audio.mean(axis=1)`` (for two channels ``(a + b) * 0.5`` is exactly
    ``(a + b) / 2`` in float32) at a fraction of its cost: column sums instead of a strided reduction.
    Matches Essentia's ``MonoLoader`` (IRMAS_Deep_Learning) and ``librosa.to_mono``."""
    channels = audio.shape[1]
    if channels == 1:
        return audio[:, 0]
    if channels == 2:
        return (audio[:, 0] + audio[:, 1]) * np.float32(0.5)
    return audio.mean(axis=1)


def decode_audio(path: Path, sample_rate: int) -> DecodedAudio:
    """Read ``path``, average its channels to mono and resample to ``sample_rate`` Hz (soxr, ``HQ``).

    Raises
    ------
    AudioDecodeError: the file is missing, unreadable, not audio, holds no samples, or decodes to NaN or
        infinite values.
    """
    try:
        audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError, ValueError) as error:
        raise AudioDecodeError(path, str(error)) from error
    if audio.size == 0:
        raise AudioDecodeError(path, "the file holds no audio samples")
    mono = mono_mix(audio)
    if rate != sample_rate:
        mono = soxr.resample(mono, rate, sample_rate, quality=RESAMPLER_QUALITY)
    if not np.all(np.isfinite(mono)):
        raise AudioDecodeError(path, "the decoded audio holds NaN or infinite samples")
    return DecodedAudio(np.ascontiguousarray(mono, dtype=np.float32), int(audio.shape[0]), int(rate))


def load_audio(path: Path, sample_rate: int) -> np.ndarray:
    """``(samples,)`` float32 mono audio of ``path`` at ``sample_rate`` Hz (see :func:`decode_audio`).

    Raises ``AudioDecodeError`` naming the file."""
    return decode_audio(path, sample_rate).samples
