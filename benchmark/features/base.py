"""What every front end shares: its configuration, sample rate, frame rate, padding value, and batching."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from pydantic import BaseModel


@dataclass(frozen=True)
class FrameGrid:
    """The time grid of a front end's output: input ``sample_rate`` (Hz), ``hop_length`` (samples between
    frames) and ``pad_value`` (the feature value of digital silence, used past a clip's end)."""

    sample_rate: int
    hop_length: int
    pad_value: float = 0.0

    @property
    def frames_per_second(self) -> float:
        """Frame rate in Hz: ``sample_rate / hop_length``."""
        return self.sample_rate / self.hop_length


class Frontend(torch.nn.Module):
    """A feature extractor: waveforms ``(batch, samples)`` or ``(samples,)`` at ``sample_rate`` Hz ->
    features ``(batch, n_features, frames)`` (batch axis kept only if given).

    Subclasses set ``name`` and ``config_class`` (a pydantic model with ``sample_rate`` and ``hop_length``)
    and implement ``transform`` on a batch.
    """

    name: ClassVar[str]
    config_class: ClassVar[type[BaseModel]]
    frame_local: ClassVar[bool] = True  # each frame depends only on the samples under it (streamable)
    in_process: ClassVar[bool] = False  # True: computed in the run's process, never in workers (built-ins only)
    from_file: ClassVar[bool] = False  # True: read by ``file_features(path)`` from a dataset's own files

    def file_features(self, audio):
        """``(n_features, frames)`` float32 read for the audio file ``audio`` from the dataset's files (front
        ends with ``from_file``); raises ``DatasetLayoutError`` naming the file it could not read."""
        raise NotImplementedError(f"front end {self.name!r} computes its features from audio")

    def __init__(self, config: BaseModel | None = None):
        super().__init__()
        self.config = config or self.config_class()

    @classmethod
    def grid(cls, config: BaseModel) -> FrameGrid:
        """The frame grid for ``config``, computed from the configuration alone (nothing is built):
        ``config.sample_rate``, ``config.hop_length`` and padding 0 unless a subclass says otherwise."""
        return FrameGrid(config.sample_rate, config.hop_length, 0.0)

    @property
    def sample_rate(self) -> int:
        """Input sample rate in Hz."""
        return self.grid(self.config).sample_rate

    @property
    def hop_length(self) -> int:
        """Samples between frames."""
        return self.grid(self.config).hop_length

    @property
    def frames_per_second(self) -> float:
        """Frame rate in Hz: ``sample_rate / hop_length``."""
        return self.grid(self.config).frames_per_second

    @property
    def pad_value(self) -> float:
        """Feature value of silence, used to pad windows past a clip's end."""
        return self.grid(self.config).pad_value

    def transform(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` -> ``(batch, n_features, frames)``."""
        raise NotImplementedError

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        """``(batch, samples)`` or ``(samples,)`` -> features, batch axis kept only if given."""
        if waveform.dim() == 1:
            return self.transform(waveform[None])[0]
        return self.transform(waveform)


def check_declared(kind: str, name: str, declared: dict, config: BaseModel) -> None:
    """Refuse a pretrained model (an embedder or tagger, ``kind``) that now declares other values than the
    run was configured with (``declared``: version, weights SHA-256, sample rate in Hz, sizes), so a feature
    cache never mixes two models' outputs under one key.

    Raises ``ConfigError`` naming the model and each changed value."""
    from irbench.errors import ConfigError

    wanted = {key: getattr(config, key) for key in declared}
    if declared != wanted:
        changed = ", ".join(f"{k} {wanted[k]!r} -> {declared[k]!r}" for k in declared if declared[k] != wanted[k])
        raise ConfigError(f"{kind} {name!r} changed since this run was configured ({changed})")
