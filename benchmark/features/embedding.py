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

Audio reaches the embedder as HEAR 2021 says: mono float32 in ``[-1, 1]`` at its sample rate (soxr ``HQ``
resampling, then clipped to ``[-1, 1]``, since resampling can overshoot full scale by a few per cent).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from irbench.features.base import FrameGrid, Frontend, check_declared

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

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` float -> ``(batch, D, 1 + samples // hop_length)`` float32."""
        config = self.config
        audio = waveform.detach().to(torch.float32).clamp(-1.0, 1.0).cpu().numpy()
        samples = audio.shape[1]
        n_frames = 1 + samples // config.hop_length
        hop_ms = 1000.0 * config.hop_length / config.sample_rate
        chunk = max(config.hop_length, int(round(config.chunk_seconds * config.sample_rate)))
        starts = list(range(0, max(1, samples - chunk + 1), chunk)) if samples > chunk else [0]
        if samples > chunk and starts[-1] + chunk < samples:
            starts.append(samples - chunk)
        out = []
        for clip in audio:
            pieces, times = [], []
            for start in starts:
                embeddings, timestamps = self.embedder.embed(clip[None, start:start + chunk])
                pieces.append(embeddings[0])
                times.append(timestamps[0] + 1000.0 * start / config.sample_rate)
            out.append(grid_frames(np.concatenate(pieces), np.concatenate(times), n_frames, hop_ms))
        return torch.from_numpy(np.stack(out))
