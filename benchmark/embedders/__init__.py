"""Embedders: frozen audio models that irbench evaluates through their embeddings ("bring your own model").

An embedder is found by name (:func:`get_embedder`):

- ``hear:<python.module>``: any importable HEAR 2021 API module, through the adapter
  :class:`irbench.embedders.hear.HearEmbedder` (options ``model_file``, ``device``);
- a name registered in :data:`EMBEDDERS`: an :class:`~irbench.embedders.base.Embedder` subclass, built with
  the options as keyword arguments: the built-in ``cnn14`` (PANNs Cnn14 frames,
  :mod:`irbench.embedders.cnn14`; options ``weights``, ``seed``, ``model_file``, ``cache_dir``, ``device``).
  Third-party packages register theirs in the ``irbench.embedders`` entry-point group (loaded lazily, see
  :mod:`irbench.registry`).

``irbench validate <embedder>`` checks one (:mod:`irbench.embedders.validate`). Importing this package
imports neither torch nor any user module.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any

from irbench.embedders.base import Embedder, EmbedderError, EmbedderOutput
from irbench.errors import ConfigError
from irbench.registry import Registry, concrete_subclass

__all__ = ["EMBEDDERS", "SCHEMES", "Embedder", "EmbedderError", "EmbedderOutput", "check_embedder",
           "construct", "get_embedder", "is_embedder_name", "parse_options"]


check_embedder = concrete_subclass(Embedder, "irbench.Embedder")
"""What is wrong with a registered embedder: it must be a concrete ``Embedder`` subclass."""


EMBEDDERS: Registry[type[Embedder]] = Registry("embedder", entry_point_group="irbench.embedders",
                                               check=check_embedder)
"""Embedders registered by name: the built-in ``cnn14`` (PANNs Cnn14 frames, :mod:`irbench.embedders.cnn14`);
plugins join through ``irbench.embedders``."""
EMBEDDERS.register_lazy("cnn14", "irbench.embedders.cnn14:Cnn14Embedder")


def _hear(target: str, options: dict[str, Any]) -> Embedder:
    from irbench.embedders.hear import HearEmbedder

    return _construct(HearEmbedder, f"hear:{target}", options, target)


SCHEMES: dict[str, Callable[[str, dict[str, Any]], Embedder]] = {"hear": _hear}
"""``<scheme>:<target>`` names -> a factory ``(target, options) -> Embedder``."""


def _construct(factory: Callable[..., Embedder], label: str, options: dict[str, Any], *args: Any) -> Embedder:
    """``factory(*args, **options)`` for an embedder (:func:`construct`)."""
    return construct(factory, label, options, *args, kind="embedder")


def construct(factory: Callable[..., Any], label: str, options: dict[str, Any], *args: Any,
              kind: str = "embedder") -> Any:
    """``factory(*args, **options)``, an unknown option turned into a ``ConfigError`` naming it and the
    ``kind`` (``"embedder"``, ``"tagger"``) ``label`` it was given to, with the options it knows.

    Raises ``ConfigError`` for an option the factory's signature lacks (a factory taking ``**kwargs`` takes
    any); whatever ``factory`` raises passes through."""
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # no signature to read: let the call say what is wrong
        return factory(*args, **options)
    known = [n for n, p in parameters.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)][len(args):]
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
    unknown = [] if accepts_any else sorted(set(options) - set(known))
    if unknown:
        raise ConfigError(f"{kind} {label!r} takes no option {', '.join(map(repr, unknown))}; "
                          f"known: {', '.join(known) or 'none'}")
    return factory(*args, **options)


def is_embedder_name(name: str) -> bool:
    """Whether ``name`` names an embedder: ``<scheme>:<target>`` with a known scheme, or a registered name
    (looking it up loads that plugin only)."""
    scheme, separator, _ = name.partition(":")
    return (scheme in SCHEMES) if separator else name in EMBEDDERS


def get_embedder(name: str, **options: Any) -> Embedder:
    """Build the embedder ``name`` (``hear:<python.module>`` or a registered name) with ``options``.

    Raises
    ------
    UnknownNameError: an unregistered name (nearest names suggested) or an unknown scheme.
    ConfigError: an option the embedder does not take.
    EmbedderError: the embedder cannot be built (``HearApiError`` for a HEAR module: it does not import,
        lacks an API function or attribute, or ``load_model`` fails).
    """
    scheme, separator, target = name.partition(":")
    if separator:
        if scheme not in SCHEMES:
            from irbench.errors import UnknownNameError

            raise UnknownNameError(f"unknown embedder scheme {scheme!r} in {name!r}; known: "
                                   f"{', '.join(s + ':<target>' for s in sorted(SCHEMES))}")
        return SCHEMES[scheme](target, options)
    return _construct(EMBEDDERS.get(name), name, options)


def parse_options(items: Iterable[str]) -> dict[str, str]:
    """``["model_file=PATH", ...]`` (the ``--config`` values) as a dict; raises ``ConfigError`` for an item
    without ``key=`` or a key given twice."""
    options: dict[str, str] = {}
    for item in items:
        key, separator, value = item.partition("=")
        key = key.strip()
        if not separator or not key:
            raise ConfigError(f"--config expects key=value, got {item!r}")
        if key in options:
            raise ConfigError(f"--config gives {key!r} twice")
        options[key] = value
    return options
