"""Rendering MIDI with a General MIDI SoundFont to audio, using only PyPI wheels.

``midirenderer`` (a self-contained Rust wheel) turns MIDI bytes into 48 kHz stereo WAV bytes; soxr resamples.
The default SoundFont is TimGM6mb.sf2, shipped inside the ``pretty_midi`` package.
"""

from __future__ import annotations

import functools
import hashlib
import io
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile
import soxr

from irbench.errors import IrbenchError


def default_soundfont() -> Path:
    """Path of TimGM6mb.sf2 as installed with pretty_midi (a General MIDI bank, 6 MB)."""
    return Path(pretty_midi.__file__).parent / "TimGM6mb.sf2"


@functools.lru_cache(maxsize=2)
def _soundfont_bytes(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise IrbenchError(f"cannot read SoundFont {path}: {error}") from error


def soundfont_sha256(path: Path) -> str:
    """Hex SHA-256 of the SoundFont file, stored in the stand-in marker."""
    return hashlib.sha256(_soundfont_bytes(str(path))).hexdigest()


def render(midi: pretty_midi.PrettyMIDI, soundfont: Path, sample_rate: int, n_samples: int) -> np.ndarray:
    """Render ``midi`` to stereo audio.

    Parameters
    ----------
    midi: the music to play.
    soundfont: a ``.sf2`` General MIDI SoundFont.
    sample_rate: output rate in Hz (the renderer's 48 kHz output is resampled with soxr).
    n_samples: output length in samples; the release tail is cut, silence is padded.

    Returns
    -------
    ``(n_samples, 2)`` float32 array.

    Raises
    ------
    IrbenchError: the SoundFont cannot be read or the renderer fails.
    """
    buffer = io.BytesIO()
    midi.write(buffer)
    import midirenderer  # imported here: only stand-in generation needs it

    try:
        wav = midirenderer.render_wave_from(_soundfont_bytes(str(soundfont)), buffer.getvalue())
    except (ValueError, RuntimeError) as error:
        raise IrbenchError(f"SoundFont renderer failed with {soundfont}: {error}") from error
    audio, rate = soundfile.read(io.BytesIO(wav), dtype="float32", always_2d=True)
    if rate != sample_rate:
        audio = soxr.resample(audio, rate, sample_rate)
    if audio.shape[1] == 1:
        audio = np.repeat(audio, 2, axis=1)
    out = np.zeros((n_samples, 2), dtype=np.float32)
    n = min(n_samples, len(audio))
    out[:n] = audio[:n, :2]
    return out


def mix(parts: list[np.ndarray], gains_db: list[float], peak: float) -> np.ndarray:
    """Sum ``(n_samples, channels)`` parts at ``gains_db`` (dB, relative to each part's own peak).

    Each part is first normalised to unit peak, so a gain is the part's level in the mix; the sum is then
    scaled to ``peak`` (linear, < 1). Returns float32 of the parts' shape.
    """
    total = np.zeros_like(parts[0])
    for part, gain in zip(parts, gains_db):
        part_peak = float(np.abs(part).max())
        if part_peak > 0:
            total += part / part_peak * 10 ** (gain / 20)
    total_peak = float(np.abs(total).max())
    return (total / total_peak * peak).astype(np.float32) if total_peak > 0 else total
