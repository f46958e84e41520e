"""What every front end shares: its configuration, sample rate, frame rate, padding value, and batching."""

from __future__ import annotations

from collections.abc import Sequence
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
    thread_safe: ClassVar[bool] = False  # True: ``forward`` may run in several threads at once (pure torch ops)
    batches_files: ClassVar[bool] = False  # True: ``transform_files`` batches files for a device (built-ins only)

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

    def frames(self, samples: int) -> int:
        """Frames of a waveform of ``samples`` samples: ``1 + samples // hop_length`` (centred frames)."""
        return 1 + samples // self.hop_length

    def spectra(self, waveform: torch.Tensor):
        """The batch stage of :meth:`transform_files`: ``(batch, samples)`` -> whatever :meth:`finish` reads
        (e.g. ``|STFT|**2`` ``(batch, bins, frames)``), computed frame by frame, so that the first
        :meth:`frames` frames of a zero-padded waveform are those of the waveform itself; ``None`` when the
        front end has no such stage (each file is then transformed on its own)."""
        return None

    def finish(self, spectra, index: int, samples: int) -> torch.Tensor:
        """The per-file stage of :meth:`transform_files`: the features ``(n_features, frames)`` of item
        ``index`` of :meth:`spectra`'s output, whose waveform had ``samples`` samples before padding."""
        raise NotImplementedError(f"front end {self.name!r} has no batch stage")

    def transform_files(self, waveforms: Sequence[torch.Tensor], device: torch.device | str | None = None,
                        ) -> list[torch.Tensor]:
        """Features of several files at once on ``device`` (default: where this module's buffers are; the
        module is moved there): waveforms ``(samples_i,)`` float32 -> ``(n_features, frames_i)`` each, on
        ``device``, the same numbers as ``forward`` on each file (on CPU, bit for bit).

        The waveforms are zero-padded to the longest into one ``(files, samples)`` tensor made on
        ``device``; :meth:`spectra` runs on it once, then :meth:`finish` cuts each file's frames back to
        its own :meth:`frames` before anything that mixes frames (projections whose float rounding depends
        on the frame count, a clip-level dB floor). Centre padding is exact this way: a centred frame of a
        file reaches at most ``n_fft // 2`` samples past the file's end, where the per-file path pads zeros
        and the batch holds the padding's zeros. A front end without :meth:`spectra` transforms each file
        alone, on ``device``. Raises ``ValueError`` for a waveform that is not one-dimensional."""
        if any(w.dim() != 1 for w in waveforms):
            raise ValueError("transform_files takes one-dimensional waveforms, one per file")
        if not waveforms:
            return []
        if device is None:
            device = next(iter(self.buffers()), torch.empty(0)).device
        self.to(device)
        lengths = [int(w.shape[0]) for w in waveforms]
        batch = torch.zeros(len(waveforms), max(lengths), dtype=torch.float32, device=device)
        for row, waveform in enumerate(waveforms):
            batch[row, : lengths[row]] = waveform.to(device)
        spectra = self.spectra(batch)
        if spectra is None:
            return [self(batch[row, :length]) for row, length in enumerate(lengths)]
        return [self.finish(spectra, row, length) for row, length in enumerate(lengths)]

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
