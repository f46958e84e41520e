"""Front ends (feature extractors in torch), the on-disk feature cache and parallel extraction."""

from __future__ import annotations

from irbench.registry import Registry

FRONTENDS: Registry = Registry("front end")
FRONTENDS.register_lazy("log-mel", "irbench.features.logmel:LogMelSpectrogram")
FRONTENDS.register_lazy("log-mel-essentia", "irbench.features.essentia_logmel:EssentiaLogMel")
FRONTENDS.register_lazy("resized-stft", "irbench.features.resized_stft:ResizedStft")
FRONTENDS.register_lazy("multi-stft", "irbench.features.multi_stft:MultiStft")
FRONTENDS.register_lazy("mfcc", "irbench.features.mfcc:Mfcc")
