"""Features of arbitrarily long files in bounded memory, for ``irbench predict``.

The file is read ``READ_SECONDS`` at a time (``soundfile.blocks``), mixed to mono, resampled with a
streaming soxr resampler, and transformed ``CHUNK_SECONDS`` at a time with enough audio on each side that
every frame sees exactly the samples it would see in one whole-file pass (a centred frame needs ``n_fft / 2``
samples on each side). Memory is a few chunks whatever the file's length: a 2-hour file no longer holds
2.5 GB of decoded stereo audio and a whole-file spectrogram.

Front ends whose frames depend on the whole clip (``Frontend.frame_local`` false: MFCC's ``top_db`` floor is
relative to the clip's maximum) are computed in one pass over the decoded file instead.

:class:`WindowCutter` cuts model windows at a layout's start frames (:mod:`irbench.windowing.layouts`) from
such a stream, holding only the frames a window still needs; :class:`LevelMeter` measures the loudest
400-ms block of the decoded audio, which ``irbench predict`` compares with :data:`SILENCE_GATE_DBFS`.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile
import soxr
import torch

from irbench.data.audio import RESAMPLER_QUALITY, check_finite, check_sample_rate, mono_mix
from irbench.errors import AudioDecodeError

CHUNK_SECONDS = 60.0
READ_SECONDS = 5.0  # audio read and resampled per block: a minute of 44.1 kHz stereo float32 is 21 MB
CONTEXT_SAMPLES = 2048  # at least half the longest FFT of any built-in front end (multi-STFT: 1024 / 2)


def resampled_blocks(path: Path, sample_rate: int, block_seconds: float = CHUNK_SECONDS) -> Iterator[np.ndarray]:
    """Mono float32 blocks of ``path`` resampled to ``sample_rate`` Hz, in order (soxr ``HQ``, streaming).

    The header's sample rate is checked before any sample is read (:func:`irbench.data.audio.check_sample_rate`:
    a 3-s file claiming 1 Hz would be resampled to hours of audio), and every block read before it is mixed or
    resampled (:func:`irbench.data.audio.check_finite`, naming the file's first bad frame), so streaming
    refuses such files itself, whoever calls it.

    Raises ``AudioDecodeError`` naming the file: soundfile cannot read it, its header states a sample rate
    outside 1-384 kHz, or it holds NaN or infinite samples."""
    try:
        with quiet_native_stderr():  # libmpg123 prints "Illegal Audio-MPEG-Header" for a non-audio file
            info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError) as error:
        raise AudioDecodeError(path, "not a readable audio file (libsndfile does not recognise its format)") \
            from error
    check_sample_rate(path, info.samplerate)
    read = 0  # frames of the file read so far, for naming the first non-finite one
    try:
        blocks = soundfile.blocks(str(path), blocksize=max(1, int(info.samplerate * block_seconds)),
                                  dtype="float32", always_2d=True)
        resampler = None if info.samplerate == sample_rate else soxr.ResampleStream(
            info.samplerate, sample_rate, 1, dtype="float32", quality=RESAMPLER_QUALITY)
        pending = next(blocks, None)
        while pending is not None:
            check_finite(path, pending, read)
            read += len(pending)
            following = next(blocks, None)
            mono = np.ascontiguousarray(mono_mix(pending))
            if resampler is not None:
                mono = resampler.resample_chunk(mono, last=following is None)
            yield mono.astype(np.float32, copy=False)
            pending = following
    except (soundfile.LibsndfileError, RuntimeError) as error:
        raise AudioDecodeError(path, "not a readable audio file (libsndfile does not recognise its format)") \
            from error


@contextmanager
def quiet_native_stderr():
    """Send what C libraries write to file descriptor 2 to ``/dev/null`` inside the block (Python's own
    ``sys.stderr`` is untouched once flushed)."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    sys.stderr.flush()
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def stream_features(frontend, path: Path, chunk_seconds: float = CHUNK_SECONDS,
                    audio_tap: Callable[[np.ndarray], None] | None = None) -> Iterator[np.ndarray]:
    """Consecutive feature blocks ``(n_features, frames_i)`` of ``path`` whose concatenation is the whole
    file's features as the front end computes them in one pass (centred frames, ``1 + samples // hop``).
    ``audio_tap``, when given, is called with every decoded block ``(samples_i,)`` float32 (mono, at the
    front end's sample rate), in order: a :class:`LevelMeter`, say.

    Raises ``AudioDecodeError`` naming the file when it cannot be read or holds no samples."""
    hop = frontend.hop_length
    context = math.ceil(CONTEXT_SAMPLES / hop) * hop  # a multiple of the hop: frames stay on the grid
    chunk = max(1, int(chunk_seconds * frontend.sample_rate) // hop) * hop
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0  # sample index of buffer[0] in the file
    emitted = 0  # frames emitted so far
    total = 0
    with torch.inference_mode():
        for block in resampled_blocks(path, frontend.sample_rate, min(chunk_seconds, READ_SECONDS)):
            if audio_tap is not None:
                audio_tap(block)
            buffer = np.concatenate([buffer, block])
            total += len(block)
            while total - emitted * hop >= chunk + context:  # enough audio past the next chunk's frames
                yield _frames(frontend, buffer, offset, emitted, chunk // hop, context)
                emitted += chunk // hop
                keep = emitted * hop - context - offset
                if keep > 0:
                    buffer, offset = buffer[keep:], offset + keep
        if total == 0:
            raise AudioDecodeError(path, "the file holds no audio samples")
        remaining = 1 + total // hop - emitted
        if remaining > 0:
            yield _frames(frontend, buffer, offset, emitted, remaining, context)


def _frames(frontend, buffer: np.ndarray, offset: int, first: int, count: int, context: int) -> np.ndarray:
    """Frames ``first .. first + count`` of the file from ``buffer`` (file samples from ``offset``)."""
    hop = frontend.hop_length
    start = max(0, first * hop - context)  # file sample where the slice starts (a multiple of the hop)
    stop = (first + count - 1) * hop + context + 1
    piece = buffer[start - offset: max(stop - offset, 0)]
    features = frontend(torch.from_numpy(np.ascontiguousarray(piece)))
    features = features.numpy() if isinstance(features, torch.Tensor) else np.asarray(features)
    skip = (first * hop - start) // hop
    return features[:, skip: skip + count]


class WindowCutter:
    """Model windows at given start frames, cut from a file's features as they stream in block by block.

    The windows are those the window index reads from the feature cache: frames ``start .. start + valid``
    of the stream, then ``pad_value`` up to ``window`` frames. Only frames from the next pending window's
    start on are held, so memory is about one block plus one window whatever the stream's length.

    Parameters
    ----------
    starts, valid: ``(n_windows,)`` first frame of each window (non-decreasing) and frames of it inside its
        clip, as :func:`irbench.windowing.layouts.place_windows` gives them.
    window: frames per window. pad_value: feature value of silence.
    n_features: feature rows; ``None`` takes them from the first block.

    Raises ``ValueError`` when ``starts`` decrease or ``valid`` has another length.
    """

    def __init__(self, starts: Sequence[int], valid: Sequence[int], window: int, pad_value: float,
                 n_features: int | None = None):
        self.starts = np.asarray(starts, dtype=np.int64)
        self.valid = np.asarray(valid, dtype=np.int64)
        if self.starts.shape != self.valid.shape or (np.diff(self.starts) < 0).any():
            raise ValueError("window starts must be non-decreasing, with one valid count each")
        self.window, self.pad_value, self.n_features = int(window), float(pad_value), n_features
        self.frames = 0  # frames streamed so far
        self._next = 0  # the next window to cut
        self._held = None  # frames [self._first, self.frames) of the stream
        self._first = 0

    def feed(self, block: np.ndarray) -> list[np.ndarray]:
        """Take the next block ``(n_features, frames_i)``; returns the windows ``(n_features, window)``
        float32 it completes, in order."""
        block = np.asarray(block, dtype=np.float32)
        if self.n_features is None:
            self.n_features = block.shape[0]
        self._held = block if self._held is None else np.concatenate([self._held, block], axis=1)
        self.frames += block.shape[1]
        done = []
        while self._next < len(self.starts) and self.starts[self._next] + self.valid[self._next] <= self.frames:
            done.append(self._cut(self._next, int(self.valid[self._next])))
            self._next += 1
        keep = min(int(self.starts[self._next]) if self._next < len(self.starts) else self.frames, self.frames)
        if keep > self._first:
            self._held, self._first = self._held[:, keep - self._first:], keep
        return done

    def finish(self) -> list[np.ndarray]:
        """The windows still pending once the stream has ended: their frames past its end are padding.

        Raises ``ValueError`` when no block came and ``n_features`` was not given."""
        if self.n_features is None:
            raise ValueError("no feature block was streamed, so the windows' feature rows are unknown")
        done = []
        for row in range(self._next, len(self.starts)):
            available = max(0, min(int(self.valid[row]), self.frames - int(self.starts[row])))
            done.append(self._cut(row, available))
        self._next = len(self.starts)
        return done

    @property
    def held_frames(self) -> int:
        """Frames held now, waiting for the windows that still need them."""
        return 0 if self._held is None else int(self._held.shape[1])

    def _cut(self, row: int, count: int) -> np.ndarray:
        out = np.full((self.n_features, self.window), self.pad_value, dtype=np.float32)
        if count > 0:
            local = int(self.starts[row]) - self._first
            out[:, :count] = self._held[:, local:local + count]
        return out


SILENCE_GATE_DBFS = -50.0
"""Level under which a file holds "no sound": its loudest :data:`LEVEL_BLOCK_SECONDS` block has an RMS
below -50 dBFS (20 log10 of the RMS, full scale 1.0, as ffmpeg's ``astats`` reports it). -50 dBFS is the
quantisation noise floor of 8-bit audio (a full-scale sine over 8-bit quantisation noise: 6.02 x 8 + 1.76 =
49.9 dB): a file that never rises above it holds nothing but noise at the level of the coarsest PCM format
in use, so no instrument is reported in it. The level is measured on what the model hears (the mono mix at
the front end's sample rate, or at the file's own rate for a model that reads no feature); digital silence
is -inf, and -60 dBFS noise falls under the gate with 10 dB to spare."""

LEVEL_BLOCK_SECONDS = 0.4
"""Block length of :class:`LevelMeter`: the 400-ms gating block of ITU-R BS.1770-4 loudness measurement."""


class LevelMeter:
    """The loudest RMS level over consecutive :data:`LEVEL_BLOCK_SECONDS` blocks of a mono stream.

    Call it with consecutive blocks ``(samples_i,)`` of audio at ``sample_rate`` Hz (block boundaries do not
    matter); :attr:`level_dbfs` is ``20 log10`` of the loudest block's RMS (full scale 1.0), and ``-inf``
    for digital silence or no samples. A final partial block counts as a full one padded with silence (a
    click in its last samples is not a loud block); a stream shorter than one block is measured whole.
    """

    def __init__(self, sample_rate: int):
        self.block = max(1, int(round(LEVEL_BLOCK_SECONDS * sample_rate)))
        self._carry = np.zeros(0, dtype=np.float64)
        self._loudest = 0.0  # mean square of the loudest full block
        self._blocks = 0  # full blocks measured

    def __call__(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._carry, np.asarray(samples, dtype=np.float64).ravel()])
        whole = len(data) // self.block * self.block
        if whole:
            self._loudest = max(self._loudest, float(np.square(data[:whole]).reshape(-1, self.block)
                                                     .mean(axis=1).max()))
            self._blocks += whole // self.block
        self._carry = data[whole:]

    @property
    def level_dbfs(self) -> float:
        """Loudest block's RMS in dBFS (``-inf`` for silence)."""
        tail = float(np.square(self._carry).sum())
        tail /= self.block if self._blocks else max(1, len(self._carry))
        loudest = max(self._loudest, tail)
        return 10.0 * math.log10(loudest) if loudest > 0 else -math.inf
