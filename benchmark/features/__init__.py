"""Front ends (feature extractors in torch), the on-disk feature cache and parallel extraction.

Front ends are registered by name in :data:`FRONTENDS`; third-party ones join through the
``irbench.frontends`` entry-point group (``my-frontend = "my_package.module:MyFrontend"``, a subclass of
:class:`irbench.features.base.Frontend`), loaded lazily like every plugin (:mod:`irbench.registry`), so a
spawned feature worker that looks one up by name finds it too.
"""

from __future__ import annotations

from irbench.registry import Registry


def _check(entry: object) -> str | None:
    """What is wrong with a registered front end: it must be a ``Frontend`` subclass whose ``config_class``
    is a pydantic model."""
    from pydantic import BaseModel

    from irbench.features.base import Frontend

    if not (isinstance(entry, type) and issubclass(entry, Frontend)):
        return f"is a {type(entry).__name__}, not a subclass of irbench.features.base.Frontend"
    config = getattr(entry, "config_class", None)
    if not (isinstance(config, type) and issubclass(config, BaseModel)):
        return "declares no config_class (a pydantic model with sample_rate and hop_length)"
    return None


FRONTENDS: Registry = Registry("front end", entry_point_group="irbench.frontends", check=_check)
FRONTENDS.register_lazy("log-mel", "irbench.features.logmel:LogMelSpectrogram")
FRONTENDS.register_lazy("log-mel-essentia", "irbench.features.essentia_logmel:EssentiaLogMel")
FRONTENDS.register_lazy("resized-stft", "irbench.features.resized_stft:ResizedStft")
FRONTENDS.register_lazy("multi-stft", "irbench.features.multi_stft:MultiStft")
FRONTENDS.register_lazy("mfcc", "irbench.features.mfcc:Mfcc")
FRONTENDS.register_lazy("embedding", "irbench.features.embedding:EmbeddingFrontend")
FRONTENDS.register_lazy("tagger-scores", "irbench.features.tagger_scores:TaggerScores")
FRONTENDS.register_lazy("openmic-vggish", "irbench.features.openmic_vggish:OpenMicVggish")


def frontend_grid(name: str, config: dict):
    """The frame grid of a registered front end for a configuration, without building it (no filterbank, no
    librosa call): a :class:`irbench.features.base.FrameGrid` with sample rate, hop length, frame rate and
    the padding value of silence.

    Raises ``UnknownNameError`` for an unknown front end and ``pydantic.ValidationError`` for a bad config."""
    cls = FRONTENDS.get(name)
    return cls.grid(cls.config_class(**config))
