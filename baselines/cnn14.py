"""PANNs Cnn14 (Kong, Cao, Iqbal, Wang, Wang, Plumbley 2020, IEEE/ACM TASLP 28:2880-2894), fine-tuned
end to end from PANNs' AudioSet weights when they are at hand: downloaded once with
``irbench data download cnn14-weights`` and picked up with no option (or ``--config checkpoint=PATH``,
``IRBENCH_CNN14_CHECKPOINT``; see :mod:`irbench.baselines.panns_checkpoint`), else trained from scratch. The run
record's ``config.baseline.notes`` name the weights with their SHA-256 and MD5 (``initialisation``: "AudioSet
weights (Kong et al. 2020)" only when the file's checksum is the published one, else "checkpoint <SHA-256>"),
or say "trained from scratch".

Architecture (module names follow the PANNs checkpoint, so its weights load by name): log-mel at 32 kHz,
n_fft 1024, hop 320, 64 mel bands 50-14,000 Hz, ``10 log10``; ``bn0`` over mel bands; 6 blocks of
2 x (conv 3x3 -> BN -> ReLU) with 2x2 average pooling (1x1 after the last) and dropout 0.2, channels
64-128-256-512-1024-2048; mean over frequency; max + mean over time; dropout 0.5; ``fc1`` 2048 -> 2048 ReLU;
dropout 0.5; a new linear head for the task's classes (``fc_audioset``'s 527 AudioSet classes are dropped).

Deviations from PANNs' AudioSet training: zero padding at clip edges (PANNs pads by reflection), no
SpecAugment or mixup, 3 s windows, Adam at 1e-4 with early stopping on validation loss.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from irbench.baselines.base import Baseline, BuiltModel, ModelSpec, TrainingConfig
from irbench.baselines.panns_checkpoint import (
    announce_scratch,
    describe_checkpoint,
    find_checkpoint,
    load_cnn14_state,
)
from irbench.features.logmel import LogMelConfig

CHANNELS = (64, 128, 256, 512, 1024, 2048)
AUDIOSET_CLASSES = 527
"""Classes of PANNs' AudioSet head ``fc_audioset`` (Kong et al. 2020; Gemmeke et al. 2017's ontology)."""


class PannsConfig(TrainingConfig):
    """Adds ``checkpoint``: a Cnn14 checkpoint's path, ``none`` to train from scratch, or unset for
    ``$IRBENCH_CNN14_CHECKPOINT``, else the downloaded ``cnn14-weights`` in the cache."""

    checkpoint: str | None = None


class ConvBlock(nn.Module):
    """PANNs' block: 2 x (conv 3x3, no bias -> BN -> ReLU), then average pooling."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor, pool: tuple[int, int]) -> torch.Tensor:
        """``(batch, in, time, mel)`` -> ``(batch, out, time / pool, mel / pool)``."""
        x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        return F.avg_pool2d(x, pool)


class Cnn14(nn.Module):
    """``(batch, 64 mel, frames)`` log-mel -> logits ``(batch, n_classes)``; frames >= 32."""

    def __init__(self, n_classes: int, n_mels: int = 64):
        super().__init__()
        self.bn0 = nn.BatchNorm2d(n_mels)
        previous = 1
        for index, channels in enumerate(CHANNELS, start=1):
            setattr(self, f"conv_block{index}", ConvBlock(previous, channels))
            previous = channels
        self.fc1 = nn.Linear(CHANNELS[-1], CHANNELS[-1])
        self.head = nn.Linear(CHANNELS[-1], n_classes)

    def embedding(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, mel, frames)`` -> the 2048-d clip embedding before ``fc1``."""
        x = features.transpose(1, 2)[:, None]  # (batch, 1, time, mel) as in PANNs
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        for index in range(1, len(CHANNELS) + 1):
            pool = (1, 1) if index == len(CHANNELS) else (2, 2)
            x = F.dropout(getattr(self, f"conv_block{index}")(x, pool), 0.2, self.training)
        x = x.mean(dim=3)
        return x.amax(dim=2) + x.mean(dim=2)

    def frame_embeddings(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, mel, frames)`` log-mel -> ``(batch, frames // 32, 2048)``: ``conv_block6``'s output averaged
        over frequency, before PANNs' max + mean over time (one frame per 32 input frames, floor at each of the
        five 2x2 poolings; frame ``j`` pools input frames ``32 j`` to ``32 j + 31``)."""
        x = features.transpose(1, 2)[:, None]
        x = self.bn0(x.transpose(1, 3)).transpose(1, 3)
        for index in range(1, len(CHANNELS) + 1):
            pool = (1, 1) if index == len(CHANNELS) else (2, 2)
            x = F.dropout(getattr(self, f"conv_block{index}")(x, pool), 0.2, self.training)
        return x.mean(dim=3).transpose(1, 2)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, mel, frames)`` -> ``(batch, n_classes)``."""
        x = F.dropout(self.embedding(features), 0.5, self.training)
        x = F.dropout(F.relu(self.fc1(x)), 0.5, self.training)
        return self.head(x)

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> list[str]:
        """Copy every tensor of a Cnn14 checkpoint whose name and shape match; returns the names loaded."""
        own = self.state_dict()
        matching = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
        self.load_state_dict(matching, strict=False)
        return sorted(matching)


def with_audioset_head(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A PANNs Cnn14 checkpoint's ``state_dict`` with its AudioSet head ``fc_audioset.{weight,bias}`` renamed
    ``head.{weight,bias}``, so :meth:`Cnn14.load_pretrained` fills a ``Cnn14(AUDIOSET_CLASSES)``'s head with it
    (the baseline drops that head and trains a new one). The other tensors are unchanged; a checkpoint without
    ``fc_audioset`` comes back without a head."""
    renamed = {key: value for key, value in state.items() if not key.startswith(("fc_audioset.", "head."))}
    renamed.update({"head." + key.split(".", 1)[1]: value for key, value in state.items()
                    if key.startswith("fc_audioset.")})
    return renamed


class Cnn14Baseline(Baseline):
    """Registered as ``cnn14``; see the module docstring."""

    name = "cnn14"
    description = "PANNs Cnn14 fine-tuned end to end (Kong et al. 2020); pretrained when a checkpoint is given."
    source = "Kong et al. 2020, PANNs (IEEE/ACM TASLP 28)"
    frontend_config = LogMelConfig(sample_rate=32_000, n_fft=1024, hop_length=320, n_mels=64, f_min=50.0,
                                   f_max=14_000.0, scale="db")
    input_frames: ClassVar[int] = 300
    training = PannsConfig(learning_rate=1e-4, batch_size=32, max_epochs=30, patience=6)
    cache_dir: Path | None = None  # the run's --cache-dir, where downloaded weights live (None: the default)

    def weights_notes(self, config: PannsConfig) -> dict:
        """The checkpoint ``build`` will load, described as the record notes it (``describe_checkpoint``)."""
        return describe_checkpoint(find_checkpoint(config.checkpoint, self.cache_dir))

    def build(self, spec: ModelSpec, config: PannsConfig) -> BuiltModel:
        """A ``Cnn14``, initialised from PANNs' weights when they are found (see the module docstring).

        Raises ``ConfigError`` naming the file when the weights cannot be read or the downloaded copy is
        damaged."""
        model = Cnn14(spec.n_classes, spec.input_shape[0])
        checkpoint = find_checkpoint(config.checkpoint, self.cache_dir)
        notes = describe_checkpoint(checkpoint)
        announce_scratch(self.name, checkpoint)
        if checkpoint.path is not None:
            notes["tensors_loaded"] = len(model.load_pretrained(load_cnn14_state(checkpoint.path)))
        return BuiltModel(model, notes)
