"""The ``multistft-panns`` baseline's network and its warm-up callback; source, architecture and deviations are
in :mod:`irbench.baselines.multistft_panns`."""

from __future__ import annotations

import torch
from lightning.pytorch.callbacks import BaseFinetuning
from torch import nn

from irbench.features.configs import MultiStftConfig
from irbench.features.multi_stft import unfold_bands
from irbench.features.spectral import amplitude_to_db_relative_to_max

BRANCH_CHANNELS = (1, 64, 128, 256, 512)
"""A branch's channels: the input's one, then the outputs of its four convolutions (Cnn14's first four blocks')."""


class Branch(nn.Module):
    """One band's CNN: ``(batch, 1, bins, frames)`` -> ``(batch, BRANCH_CHANNELS[-1])`` (512)."""

    def __init__(self):
        super().__init__()
        layers: list[nn.Module] = []
        for index, (a, b) in enumerate(zip(BRANCH_CHANNELS, BRANCH_CHANNELS[1:])):
            layers += [nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU()]
            layers.append(nn.MaxPool2d(2) if index < 3 else nn.AdaptiveAvgPool2d(1))
        self.layers = nn.Sequential(*layers)

    def convolutions(self) -> list[tuple[nn.Conv2d, nn.BatchNorm2d]]:
        """The four (conv, BN) pairs, in Cnn14 block order."""
        modules = list(self.layers)
        return [(modules[i], modules[i + 1]) for i in range(0, len(modules), 4)]

    def forward(self, band: torch.Tensor) -> torch.Tensor:
        """``(batch, 1, bins, frames)`` -> ``(batch, 512)``."""
        return self.layers(band).flatten(1)


class MultiStftPanns(nn.Module):
    """Folded multi-STFT magnitudes ``(batch, rows, frames)`` -> logits ``(batch, n_classes)``."""

    def __init__(self, n_classes: int, config: MultiStftConfig):
        super().__init__()
        self.config = config
        self.backbone = nn.ModuleList(Branch() for _ in config.bands)
        width = BRANCH_CHANNELS[-1] * len(config.bands)
        self.head = nn.Sequential(
            nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(), nn.Dropout(0.4),
            nn.Linear(width, 768), nn.BatchNorm1d(768), nn.ReLU(), nn.Dropout(0.3),
            nn.Linear(768, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, n_classes),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(batch, rows, frames)`` -> ``(batch, n_classes)``."""
        bands = unfold_bands(features, self.config)
        embeddings = [branch(amplitude_to_db_relative_to_max(band)[:, None]) for branch, band in zip(self.backbone, bands)]
        return self.head(torch.cat(embeddings, dim=1))

    def load_pretrained(self, state: dict[str, torch.Tensor]) -> int:
        """Copy Cnn14's ``conv_block{1-4}.conv1`` and ``bn1`` into every branch; returns tensors copied."""
        copied = 0
        with torch.no_grad():
            for branch in self.backbone:
                for block, (conv, norm) in enumerate(branch.convolutions(), start=1):
                    prefix = f"conv_block{block}"
                    conv.weight.copy_(state[f"{prefix}.conv1.weight"])
                    for name in ("weight", "bias", "running_mean", "running_var"):
                        getattr(norm, name).copy_(state[f"{prefix}.bn1.{name}"])
                    copied += 5
        return copied


class UnfreezeBackbone(BaseFinetuning):
    """Freeze ``backbone`` before training; at ``epoch`` unfreeze it and set every learning rate to
    ``learning_rate`` (DL_Project's intended schedule)."""

    def __init__(self, epoch: int, learning_rate: float):
        super().__init__()
        self.epoch, self.learning_rate = epoch, learning_rate

    def freeze_before_training(self, pl_module) -> None:
        """Freeze ``pl_module.backbone`` (BatchNorm statistics keep training, Lightning's default)."""
        self.freeze(pl_module.backbone)

    def finetune_function(self, pl_module, current_epoch: int, optimizer) -> None:
        """At ``epoch``: every group to ``learning_rate``, and the backbone added as a new group at that rate."""
        if current_epoch == self.epoch:
            for group in optimizer.param_groups:
                group["lr"] = self.learning_rate
            self.unfreeze_and_add_param_group(pl_module.backbone, optimizer, lr=self.learning_rate,
                                              initial_denom_lr=1.0)
