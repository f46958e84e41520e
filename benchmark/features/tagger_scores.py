"""A pretrained tagger's label scores as a front end: ``tagger-scores`` (what ``zero-shot:<tagger>`` reads).

Frame ``k`` (centred at ``k * hop_length`` samples, ``1 + samples // hop_length`` frames as a centred STFT)
holds the tagger's scores in ``[0, 1]`` for the ``segment_seconds`` of audio centred on it, zero-padded
past the file's ends, so a task window of ``n`` frames pools ``n`` overlapping looks of the tagger. Scores
are computed once per audio file and cached like features (the key: tagger name, version, weights SHA-256,
options, sample rate, segment and hop). Segments go to the tagger ``SEGMENTS_PER_CALL`` at a time, all of one
length and across files when several are scored together (the path a run on CUDA takes), so a tagger's batch-independence (``irbench validate``) is what keeps these numbers equal to
one-segment calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field

from irbench.features.base import FrameGrid, Frontend, check_declared

SEGMENTS_PER_CALL = 32


class TaggerScoresConfig(BaseModel):
    """What identifies a tagger's scores (all of it is the cache key): ``tagger`` name, its ``options``,
    ``version``, ``weights_sha256``, ``sample_rate`` (Hz), ``n_labels``, ``segment_seconds`` (audio per look)
    and ``hop_length`` (samples between frames)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tagger: str
    options: dict[str, str] = Field(default_factory=dict)
    version: str = "unknown"
    weights_sha256: str | None = None
    sample_rate: int = Field(32_000, gt=0)
    n_labels: int = Field(1, gt=0)
    segment_seconds: float = Field(1.0, gt=0, le=30, allow_inf_nan=False)
    hop_length: int = Field(16_000, gt=0)


class TaggerScores(Frontend):
    """Waveforms ``(batch, samples)`` at ``config.sample_rate`` Hz -> label scores ``(batch, n_labels,
    1 + samples // hop_length)`` float32 in ``[0, 1]``.

    Raises ``TaggerError`` when the tagger cannot be built or breaks its contract, ``ConfigError`` when it now
    declares another version, weights, sample rate or label count than the configuration."""

    name = "tagger-scores"
    config_class = TaggerScoresConfig
    frame_local: ClassVar[bool] = False
    in_process: ClassVar[bool] = True

    def __init__(self, config: TaggerScoresConfig | None = None):
        super().__init__(config)
        self._tagger = None

    @classmethod
    def grid(cls, config: TaggerScoresConfig) -> FrameGrid:
        """``config.sample_rate`` and ``config.hop_length``; padding past a clip's end scores 0."""
        return FrameGrid(config.sample_rate, config.hop_length, 0.0)

    @property
    def tagger(self):
        """The configured tagger, built once and checked against the configuration."""
        if self._tagger is None:
            from irbench.taggers import get_tagger

            built = get_tagger(self.config.tagger, **self.config.options)
            check_declared("tagger", self.config.tagger, {
                "version": built.version, "weights_sha256": built.weights_sha256,
                "sample_rate": int(built.sample_rate), "n_labels": len(built.labels)}, self.config)
            self._tagger = built
        return self._tagger

    batches_files: ClassVar[bool] = True

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` float -> ``(batch, n_labels, 1 + samples // hop_length)`` float32 (the rows
        scored together, as :meth:`transform_files`)."""
        return torch.stack(self.transform_files(list(waveform.reshape(-1, waveform.shape[-1]))))

    def transform_files(self, waveforms: Sequence[torch.Tensor], device: torch.device | str | None = None,
                        ) -> list[torch.Tensor]:
        """Scores of several files at once: waveforms ``(samples_i,)`` at ``config.sample_rate`` Hz ->
        ``(n_labels, 1 + samples_i // hop_length)`` float32 each, on the CPU.

        The segments of every file (one per frame, zero-padded past the file's ends) go to the tagger
        :data:`SEGMENTS_PER_CALL` at a time, across files; the tagger runs on the device its options name
        (``tagger_device``; a zero-shot run on CUDA sets it to the run's device), so ``device`` is not used.
        Raises ``ValueError`` for a waveform that is not one-dimensional and the tagger's ``TaggerError``."""
        del device  # the tagger was built on its own device (its options)
        if any(w.dim() != 1 for w in waveforms):
            raise ValueError("transform_files takes one-dimensional waveforms, one per file")
        config = self.config
        segment = max(1, int(round(config.segment_seconds * config.sample_rate)))
        half = segment // 2
        padded, frames = [], []
        for waveform in waveforms:
            clip = waveform.detach().to(torch.float32).clamp(-1.0, 1.0).cpu().numpy()
            padded.append(np.concatenate([np.zeros(half, np.float32), clip, np.zeros(segment, np.float32)]))
            frames.append(1 + len(clip) // config.hop_length)
        # frame k of a file: the segment starting half a segment before k * hop (in the padded clip, at k * hop)
        looks = [(index, k) for index, n_frames in enumerate(frames) for k in range(n_frames)]
        out = [np.empty((config.n_labels, n), dtype=np.float32) for n in frames]
        for first in range(0, len(looks), SEGMENTS_PER_CALL):
            group = looks[first:first + SEGMENTS_PER_CALL]
            starts = [k * config.hop_length for _, k in group]
            scores = self.tagger.predict(np.stack([padded[i][s:s + segment] for (i, _), s in zip(group, starts)]))
            for row, (index, k) in enumerate(group):
                out[index][:, k] = scores[row]
        return [torch.from_numpy(scores) for scores in out]
