"""Transformer encoder over the MFCC frames of one clip, after instrument-classifier (ofargally/instrument-classifier,
MusicNet 12 classes).

Source, kept: librosa 22,050 Hz, 13 MFCC (hop 255 samples, 96 mel bands 20-11,025 Hz, n_fft 2048),
standardised; Linear 13-128 -> one post-LN TransformerEncoderLayer (d_model 128, 4 heads, feed-forward
2048, dropout 0.429) -> Linear 128-C; Adam lr 5.5e-5, batch 64, 40 epochs.

Deviations, each fixing a defect of the source:

- attention runs over the TIME frames of one window (about 3 s, 256 frames) with sinusoidal positional
  encoding, pooled by the mean over time to clip logits (the source fed single 13-d frames, so attention
  ran across the shuffled frames of a minibatch);
- the standardisation statistics come from the training windows only (the source fitted a fresh scaler on
  the test set);
- no test window is dropped (the source's test loader dropped its last partial batch); labels follow the
  task's classes (the source's column 0 meant "no note" and group 12 was dropped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from irbench.baselines.base import Baseline, ModelSpec, TrainingConfig
from irbench.features.configs import MfccConfig

if TYPE_CHECKING:
    from torch import nn


class TransformerConfig(TrainingConfig):
    """Adds the encoder's ``d_model``, ``heads``, ``feedforward``, ``layers`` and ``dropout``."""

    d_model: int = Field(128, gt=0)
    heads: int = Field(4, gt=0)
    feedforward: int = Field(2048, gt=0)
    layers: int = Field(1, gt=0)
    dropout: float = Field(0.429, ge=0, lt=1)


class TransformerBaseline(Baseline):
    """Registered as ``transformer``; see the module docstring."""

    name = "transformer"
    description = "Transformer encoder over the MFCC frames of a 3 s window (instrument-classifier), defects fixed."
    source = "ofargally/instrument-classifier (MusicNet)"
    frontend_name = "mfcc"
    frontend_config = MfccConfig()
    input_frames: ClassVar[int] = 256
    training = TransformerConfig(learning_rate=5.5e-5, batch_size=64, max_epochs=40, patience=8)

    def build(self, spec: ModelSpec, config: TransformerConfig) -> nn.Module:
        """A ``TransformerNet`` (:mod:`irbench.baselines.networks.transformer`) standardised with the training
        windows' statistics."""
        from irbench.baselines.networks.transformer import TransformerNet

        return TransformerNet(spec.n_classes, spec.input_shape, spec.feature_mean, spec.feature_std, config)
