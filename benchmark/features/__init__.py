"""Front ends (feature extractors in torch), the on-disk feature cache and parallel extraction."""

from __future__ import annotations

from irbench.registry import Registry

FRONTENDS: Registry = Registry("front end")
FRONTENDS.register_lazy("log-mel", "irbench.features.logmel:LogMelSpectrogram")
FRONTENDS.register_lazy("log-mel-essentia", "irbench.features.essentia_logmel:EssentiaLogMel")
FRONTENDS.register_lazy("resized-stft", "irbench.features.resized_stft:ResizedStft")
FRONTENDS.register_lazy("multi-stft", "irbench.features.multi_stft:MultiStft")
FRONTENDS.register_lazy("mfcc", "irbench.features.mfcc:Mfcc")


def frontend_grid(name: str, config: dict):
    """The frame grid of a registered front end for a configuration, without building it (no filterbank, no
    librosa call): a :class:`irbench.features.base.FrameGrid` with sample rate, hop length, frame rate and
    the padding value of silence.

    Raises ``UnknownNameError`` for an unknown front end and ``pydantic.ValidationError`` for a bad config."""
    cls = FRONTENDS.get(name)
    return cls.grid(cls.config_class(**config))
