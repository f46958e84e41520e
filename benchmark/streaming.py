"""Features of arbitrarily long files in bounded memory, for ``irbench predict``.

The file is read block by block (``soundfile.blocks``), mixed to mono, resampled with a streaming soxr
resampler, and transformed ``CHUNK_SECONDS`` at a time with enough audio on each side that every frame sees
exactly the samples it would see in one whole-file pass (a centred frame needs ``n_fft / 2`` samples on each
side). Memory is a few chunks whatever the file's length: a 2-hour file no longer holds 2.5 GB of decoded
stereo audio and a whole-file spectrogram.

Front ends whose frames depend on the whole clip (``Frontend.frame_local`` false: MFCC's ``top_db`` floor is
relative to the clip's maximum) are computed in one pass over the decoded file instead.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import soundfile
import soxr
import torch

from irbench.audio import RESAMPLER_QUALITY, mono_mix
from irbench.errors import AudioDecodeError

CHUNK_SECONDS = 60.0
CONTEXT_SAMPLES = 2048  # at least half the longest FFT of any built-in front end (multi-STFT: 1024 / 2)


def resampled_blocks(path: Path, sample_rate: int, block_seconds: float = CHUNK_SECONDS) -> Iterator[np.ndarray]:
    """Mono float32 blocks of ``path`` resampled to ``sample_rate`` Hz, in order (soxr ``HQ``, streaming).

    Raises ``AudioDecodeError`` naming the file when soundfile cannot read it."""
    try:
        with quiet_native_stderr():  # libmpg123 prints "Illegal Audio-MPEG-Header" for a non-audio file
            info = soundfile.info(str(path))
        blocks = soundfile.blocks(str(path), blocksize=max(1, int(info.samplerate * block_seconds)),
                                  dtype="float32", always_2d=True)
        resampler = None if info.samplerate == sample_rate else soxr.ResampleStream(
            info.samplerate, sample_rate, 1, dtype="float32", quality=RESAMPLER_QUALITY)
        pending = next(blocks, None)
        while pending is not None:
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


def stream_features(frontend, path: Path, chunk_seconds: float = CHUNK_SECONDS) -> Iterator[np.ndarray]:
    """Consecutive feature blocks ``(n_features, frames_i)`` of ``path`` whose concatenation is the whole
    file's features as the front end computes them in one pass (centred frames, ``1 + samples // hop``).

    Raises ``AudioDecodeError`` naming the file when it cannot be read or holds no samples."""
    hop = frontend.hop_length
    context = math.ceil(CONTEXT_SAMPLES / hop) * hop  # a multiple of the hop: frames stay on the grid
    chunk = max(1, int(chunk_seconds * frontend.sample_rate) // hop) * hop
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0  # sample index of buffer[0] in the file
    emitted = 0  # frames emitted so far
    total = 0
    with torch.inference_mode():
        for block in resampled_blocks(path, frontend.sample_rate, chunk_seconds):
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
