"""The ``cnn14`` baseline's network, PANNs Cnn14 (module names follow the PANNs checkpoint, so its weights load
by name), also used by the ``cnn14`` embedder and the ``cnn14-audioset`` tagger; source, architecture and
deviations are in :mod:`irbench.baselines.cnn14`."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

CHANNELS = (64, 128, 256, 512, 1024, 2048)
"""Output channels of the six convolution blocks (PANNs' widths; the checkpoint's tensors have these shapes)."""


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
