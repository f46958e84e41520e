"""Embeddings of a frozen model as a front end: ``embedding`` (what ``probe:<embedder>`` baselines read).

The front end runs an :class:`~irbench.embedders.base.Embedder` over a whole decoded file and places its
frame embeddings on a regular frame grid, so the rest of the pipeline treats them like any feature: they are
computed once per audio file and cached (the cache key is this configuration: embedder name, version,
weights SHA-256, options, sample rate and hop), windows are cut by the task's layout
(:mod:`irbench.windowing.layouts`), and every probe seed reads the same cached embeddings.

Grid: frame ``k`` is centred at ``k * hop_length`` samples (``1 + samples // hop_length`` frames, as a
centred STFT), the hop measured from the embedder's own timestamps when the probe is configured
(:func:`measure_hop`). Each grid frame takes the embedding whose timestamp lies nearest its centre, so an
embedder whose first frame is centred later than 0 ms (PANNs Cnn14's receptive field, a HEAR model's
half-window offset) or whose hop is not a whole number of samples is placed on the grid at most half a hop
from its true time; the measured offset is kept in the configuration (``first_timestamp_ms``).

Files longer than ``chunk_seconds`` are embedded in consecutive chunks of that length (the last one ends at
the file's end and overlaps its predecessor) so memory stays bounded on MusicNet's recordings (up to 18
minutes); each grid frame then takes the nearest embedding of any chunk. A model with context beyond a chunk
sees less of it than in one whole-file pass: the deviation is bounded by the chunk length, 60 s by default,
against task windows of 3-10 s.

Files are embedded together (:meth:`EmbeddingFrontend.transform_files`, the path a run on CUDA takes):
pieces of one length (whole clips of IRMAS's 3 s or OpenMIC's 10 s, MusicNet's 60-s chunks) go to the
embedder up to ``AUDIO_PER_CALL_SECONDS`` of audio per call, never padded, so an embedder that passes
``irbench validate``'s batch-independence check gives each file the embeddings of a call of its own (to
that check's tolerance; a file alone is also embedded through this path).

Audio reaches the embedder as HEAR 2021 says: mono float32 in ``[-1, 1]`` at its sample rate (soxr ``HQ``
resampling, then clipped to ``[-1, 1]``, since resampling can overshoot full scale by a few per cent).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from irbench.features.base import FrameGrid, Frontend, check_declared

AUDIO_PER_CALL_SECONDS = 60.0
"""Most audio one ``embed`` call receives (s): as many equal-length pieces as fit, at least one; with the
default ``chunk_seconds`` the largest tensors a model builds stay those of one 60-s chunk."""
MEASURE_SECONDS = 10.0
"""Length of the seeded noise :func:`measure_hop` embeds to read an embedder's frame hop."""


class EmbeddingConfig(BaseModel):
    """What identifies an embedder's features (all of it is the feature cache key).

    embedder: its name (``hear:<module>``, ``cnn14``, a plugin's name). options: the keyword options it is
    built with (``model_file``, ``weights``, ``device``). version, weights_sha256: what the embedder declares.
    sample_rate: Hz it takes. hop_length: samples between grid frames. embedding_size: ``D``.
    first_timestamp_ms: where its first frame is centred (measured). chunk_seconds: longest audio embedded
    in one call.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    embedder: str
    options: dict[str, str] = Field(default_factory=dict)
    version: str = "unknown"
    weights_sha256: str | None = None
    sample_rate: int = Field(16_000, gt=0)
    hop_length: int = Field(160, gt=0)
    embedding_size: int = Field(1, gt=0)
    first_timestamp_ms: float = 0.0
    chunk_seconds: float = Field(60.0, gt=0, allow_inf_nan=False)


def measure_hop(embedder: Any) -> tuple[int, float]:
    """``(hop_length, first_timestamp_ms)`` of ``embedder``: the median spacing of its timestamps over
    :data:`MEASURE_SECONDS` of seeded noise at -20 dBFS, in samples at its sample rate (at least 1), and the
    first timestamp in milliseconds.

    Raises ``EmbedderError`` (the embedder's own) when it fails on the noise, and ``ValueError`` when it
    returns fewer than two frames for 10 s of audio (no hop to measure: such a model gives one scene
    embedding, not frames)."""
    rate = int(embedder.sample_rate)
    noise = np.random.default_rng(0).standard_normal((1, int(MEASURE_SECONDS * rate))).astype(np.float32)
    _, timestamps = embedder.embed(np.clip(noise * 0.1, -1.0, 1.0))
    times = np.asarray(timestamps[0], dtype=np.float64)
    if times.size < 2:
        raise ValueError(f"embedder {embedder.name!r} gave {times.size} frame(s) for {MEASURE_SECONDS:g} s of "
                         "audio: a probe needs frame embeddings with timestamps")
    hop_ms = float(np.median(np.diff(times)))
    if not hop_ms > 0:
        raise ValueError(f"embedder {embedder.name!r}: its timestamps do not increase (median step {hop_ms} ms)")
    return max(1, round(hop_ms * rate / 1000.0)), float(times[0])


def grid_frames(embeddings: np.ndarray, timestamps_ms: np.ndarray, n_frames: int, hop_ms: float) -> np.ndarray:
    """Embeddings ``(frames, D)`` at ``timestamps_ms`` ``(frames,)`` placed on a grid of ``n_frames`` frames
    centred at ``k * hop_ms``: ``(D, n_frames)``, each grid frame the embedding with the nearest timestamp."""
    order = np.argsort(timestamps_ms, kind="stable")
    times, rows = timestamps_ms[order], embeddings[order]
    centres = np.arange(n_frames, dtype=np.float64) * hop_ms
    right = np.clip(np.searchsorted(times, centres), 0, len(times) - 1)
    left = np.clip(right - 1, 0, len(times) - 1)
    nearest = np.where(np.abs(times[left] - centres) <= np.abs(times[right] - centres), left, right)
    return np.ascontiguousarray(rows[nearest].T, dtype=np.float32)


class EmbeddingFrontend(Frontend):
    """Waveforms ``(batch, samples)`` at ``config.sample_rate`` Hz -> embeddings ``(batch, D, frames)`` on the
    grid of the module docstring, ``frames = 1 + samples // hop_length``.

    The embedder is built on first use (``irbench.embedders.get_embedder(config.embedder, **options)``), once
    per front end. Raises ``EmbedderError`` when it cannot be built or breaks its contract, and
    ``ConfigError`` when it now declares another version, weights, sample rate or size than the configuration
    (the cache would otherwise mix two models' embeddings)."""

    name = "embedding"
    config_class = EmbeddingConfig
    frame_local: ClassVar[bool] = False  # a model may look at the whole chunk: computed in one pass
    in_process: ClassVar[bool] = True  # one model in memory: no feature worker processes

    def __init__(self, config: EmbeddingConfig | None = None):
        super().__init__(config)
        self._embedder = None

    @classmethod
    def grid(cls, config: EmbeddingConfig) -> FrameGrid:
        """``config.sample_rate`` and ``config.hop_length``; windows past a clip's end are padded with 0."""
        return FrameGrid(config.sample_rate, config.hop_length, 0.0)

    @property
    def embedder(self):
        """The configured embedder, built once and checked against the configuration."""
        if self._embedder is None:
            from irbench.embedders import get_embedder

            built = get_embedder(self.config.embedder, **self.config.options)
            check_declared("embedder", self.config.embedder, {
                "version": built.version, "weights_sha256": built.weights_sha256,
                "sample_rate": int(built.sample_rate), "embedding_size": int(built.embedding_size)}, self.config)
            self._embedder = built
        return self._embedder

    batches_files: ClassVar[bool] = True

    def chunk_starts(self, samples: int) -> list[int]:
        """First sample of each piece a file of ``samples`` samples is embedded in: ``[0]`` up to
        ``chunk_seconds``, else consecutive chunks, the last one ending at the file's end."""
        chunk = self._chunk_samples()
        if samples <= chunk:
            return [0]
        starts = list(range(0, samples - chunk + 1, chunk))
        if starts[-1] + chunk < samples:
            starts.append(samples - chunk)
        return starts

    def _chunk_samples(self) -> int:
        return max(self.config.hop_length, int(round(self.config.chunk_seconds * self.config.sample_rate)))

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` float -> ``(batch, D, 1 + samples // hop_length)`` float32 (the rows embedded
        together, as :meth:`transform_files`)."""
        return torch.stack(self.transform_files(list(waveform.reshape(-1, waveform.shape[-1]))))

    def transform_files(self, waveforms: Sequence[torch.Tensor], device: torch.device | str | None = None,
                        ) -> list[torch.Tensor]:
        """Embeddings of several files at once: waveforms ``(samples_i,)`` at ``config.sample_rate`` Hz ->
        ``(D, 1 + samples_i // hop_length)`` float32 each, on the CPU.

        Every file is cut into its pieces (:meth:`chunk_starts`); pieces of one length are stacked into
        ``(pieces, samples)`` calls of at most :data:`AUDIO_PER_CALL_SECONDS` of audio. The embedder runs
        on the device its options name (``embedder_device``; a probe run on CUDA sets it to the run's
        device), so ``device`` is not used. Raises ``ValueError`` for a waveform that is not
        one-dimensional and the embedder's ``EmbedderError``."""
        del device  # the embedder was built on its own device (its options)
        if any(w.dim() != 1 for w in waveforms):
            raise ValueError("transform_files takes one-dimensional waveforms, one per file")
        config = self.config
        clips = [w.detach().to(torch.float32).clamp(-1.0, 1.0).cpu().numpy() for w in waveforms]
        chunk = self._chunk_samples()
        by_length: dict[int, list[tuple[int, int]]] = defaultdict(list)  # length -> (file, start) pieces
        for index, clip in enumerate(clips):
            for start in self.chunk_starts(len(clip)):
                by_length[min(chunk, len(clip))].append((index, start))
        found: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        for length, pieces in by_length.items():
            per_call = max(1, int(AUDIO_PER_CALL_SECONDS * config.sample_rate) // max(1, length))
            for first in range(0, len(pieces), per_call):
                group = pieces[first:first + per_call]
                embeddings, timestamps = self.embedder.embed(np.stack([clips[i][s:s + length] for i, s in group]))
                for row, (index, start) in enumerate(group):
                    found[index, start] = (embeddings[row], timestamps[row] + 1000.0 * start / config.sample_rate)
        hop_ms = 1000.0 * config.hop_length / config.sample_rate
        out = []
        for index, clip in enumerate(clips):
            pieces = [found[index, start] for start in self.chunk_starts(len(clip))]
            out.append(torch.from_numpy(grid_frames(np.concatenate([e for e, _ in pieces]),
                                                    np.concatenate([t for _, t in pieces]),
                                                    1 + len(clip) // config.hop_length, hop_ms)))
        return out
