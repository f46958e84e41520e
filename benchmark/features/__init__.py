"""Front ends (feature extractors in torch), the on-disk feature cache and parallel extraction."""

from __future__ import annotations

from irbench.registry import Registry

FRONTENDS: Registry = Registry("front end")
FRONTENDS.register_lazy("log-mel", "irbench.features.logmel:LogMelSpectrogram")
