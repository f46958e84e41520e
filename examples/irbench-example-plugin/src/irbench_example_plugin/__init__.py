"""An example irbench plugin: a two-layer CNN on irbench's log-mel front end, and a tiny task.

Everything a third-party baseline needs: subclass ``irbench.baselines.base.Baseline``, set its class
attributes, implement ``build``, and declare an entry point in the ``irbench.baselines`` group (see this
package's ``pyproject.toml``). ``irbench validate tiny-cnn`` checks it against the contract.

Everything a third-party task needs is in :mod:`irbench_example_plugin.tones` (``tiny-tones``): a ``Task``
whose metadata carries a dataset card (remote archive and checksum, counts, format, stand-in generator,
published number), registered in the ``irbench.tasks`` group.
"""

from __future__ import annotations

from torch import nn

from irbench.baselines.base import Baseline, ModelSpec, TrainingConfig
from irbench.features.configs import LogMelConfig


class TinyCnn(nn.Module):
    """``(batch, 64 mel, frames)`` -> two conv blocks -> global average pool -> logits ``(batch, n_classes)``."""

    def __init__(self, n_classes: int, channels: int = 16):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, n_classes),
        )

    def forward(self, features):
        """``(batch, n_mels, frames)`` -> ``(batch, n_classes)``."""
        return self.body(features[:, None])


class TinyCnnBaseline(Baseline):
    """Registered by the entry point ``tiny-cnn``."""

    name = "tiny-cnn"
    description = "Example plugin: a two-layer CNN on 64-band log-mel windows."
    source = "irbench examples/irbench-example-plugin"
    frontend_config = LogMelConfig()
    input_frames = 64
    training = TrainingConfig(learning_rate=3e-3, batch_size=32, max_epochs=20, patience=5)

    def build(self, spec: ModelSpec, config: TrainingConfig) -> nn.Module:
        """A fresh ``TinyCnn`` for the task's classes; the harness picks loss and activation."""
        return TinyCnn(spec.n_classes)
