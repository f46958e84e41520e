"""Taggers: frozen audio models that score clips against their own label set ("bring your own model").

A tagger is found by name (:func:`get_tagger`) in :data:`TAGGERS`: the built-in ``cnn14-audioset`` (PANNs
Cnn14 with its AudioSet head, Kong et al. 2020; :mod:`irbench.taggers.cnn14_audioset`), or a
:class:`~irbench.taggers.base.Tagger` subclass a third-party package registers in the ``irbench.taggers``
entry-point group (loaded lazily, see :mod:`irbench.registry`). Its labels reach a task's classes through a
recorded label map (:mod:`irbench.taggers.label_maps`); ``irbench validate <tagger>`` checks it
(:mod:`irbench.taggers.validate`). Importing this package imports neither torch nor any plugin.
"""

from __future__ import annotations

from typing import Any

from irbench.registry import Registry, concrete_subclass
from irbench.taggers.base import Tagger, TaggerError

__all__ = ["TAGGERS", "Tagger", "TaggerError", "check_tagger", "get_tagger"]


check_tagger = concrete_subclass(Tagger, "irbench.taggers.Tagger")
"""What is wrong with a registered tagger: it must be a concrete ``Tagger`` subclass."""


TAGGERS: Registry[type[Tagger]] = Registry("tagger", entry_point_group="irbench.taggers", check=check_tagger)
"""Taggers registered by name: the built-in ``cnn14-audioset``; plugins join through ``irbench.taggers``."""
TAGGERS.register_lazy("cnn14-audioset", "irbench.taggers.cnn14_audioset:Cnn14AudiosetTagger")


def get_tagger(name: str, **options: Any) -> Tagger:
    """Build the tagger registered as ``name`` with ``options`` as keyword arguments (``--config`` values).

    Raises
    ------
    UnknownNameError: an unregistered name (nearest names suggested), or a plugin that was skipped.
    ConfigError: an option the tagger does not take (naming it and the options it knows).
    TaggerError: the tagger cannot be built (weights missing or unreadable, a bad option value).
    """
    from irbench.embedders import construct

    return construct(TAGGERS.get(name), name, options, kind="tagger")
