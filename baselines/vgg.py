"""VGG-style CNN on log-mel patches, after IRMAS_Deep_Learning (claudia-hm/IRMAS_Deep_Learning, UPF 2020).

Source architecture, kept: input ``(1, 64 mel, 64 frames)`` (about 2.05 s at 16 kHz, hop 512);
5 x [Conv 3x3 stride 1 pad 1 -> ReLU -> BatchNorm -> MaxPool 2] with channels 1-16-32-64-128-128; flatten
(512) -> Dropout 0.5 -> BatchNorm1d -> Linear 512-64 -> ReLU -> Linear 64-C. Adam, lr 1e-3, batch 64,
40 epochs.

Deviations, each fixing a defect of the source:

- emits logits; the harness applies the loss (the source applied softmax before ``CrossEntropyLoss``,
  a double softmax);
- log10 with a floor of 1e-10 (the source took log10 of zero in silent bins);
- features in torch, matching Essentia's mel settings (Slaney scale, unit-area triangles, 0-8 kHz);
- training split grouped by recording with a 15% validation split, early stopping (patience 8) on
  validation loss, evaluation on the IRMAS test set with the Han et al. protocol (the source split by clip,
  had no validation set and reported accuracy on a slice of the training set).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from irbench.baselines.base import Baseline, ModelSpec, TrainingConfig
from irbench.features.configs import LogMelConfig

if TYPE_CHECKING:
    from torch import nn


class VGGBaseline(Baseline):
    """Registered as ``vgg``; see the module docstring for source and deviations."""

    name = "vgg"
    description = "VGG-style CNN on 64x64 log-mel patches (claudia-hm/IRMAS_Deep_Learning), defects fixed."
    source = "claudia-hm/IRMAS_Deep_Learning (UPF 2020)"
    frontend_config = LogMelConfig()
    input_frames: ClassVar[int] = 64
    training = TrainingConfig(learning_rate=1e-3, batch_size=64, max_epochs=40, patience=8)

    def build(self, spec: ModelSpec, config: TrainingConfig) -> nn.Module:
        """A fresh ``VGGNet`` (:mod:`irbench.baselines.networks.vgg`) for ``spec.n_classes`` outputs."""
        from irbench.baselines.networks.vgg import VGGNet

        return VGGNet(spec.n_classes, spec.input_shape)
