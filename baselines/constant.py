"""The constant predictor: class priors of the training labels, whatever the input.

The floor every leaderboard shows (Instrument-Recognition's lesson: an all-negative model scored 84.6% "accuracy" on
OpenMIC). It has no trainable parameter and reads no feature: the harness computes no features for it
(``frontend_name = None``; its windows are one placeholder per clip), skips training, and records its
only setting, the evaluation batch size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from irbench.baselines.base import Baseline, ModelSpec

if TYPE_CHECKING:
    from torch import nn


class ConstantConfig(BaseModel):
    """The constant predictor's only setting: ``batch_size``, windows scored at once in evaluation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    batch_size: int = Field(256, gt=0)


class ConstantBaseline(Baseline):
    """Registered as ``constant``: training class priors for every clip."""

    name = "constant"
    description = "Constant predictor: training-set class priors for every clip (the floor)."
    source = "irbench reference (class priors)"
    frontend_name: ClassVar[str | None] = None  # reads no feature
    frontend_config = None
    input_frames: ClassVar[int] = 1
    training = ConstantConfig()

    def build(self, spec: ModelSpec, config: ConstantConfig) -> nn.Module:
        """A ``ConstantNet`` (:mod:`irbench.baselines.networks.constant`) holding ``spec.class_priors``."""
        from irbench.baselines.networks.constant import ConstantNet

        return ConstantNet(spec.class_priors, spec.prediction_type)
