"""A small, strict name registry for tasks, baselines and stand-in generators.

Modelled on lm-evaluation-harness's registry: entries are registered by decorator or lazily as
``"module:attribute"`` strings (so listing names imports nothing heavy), duplicate names are refused, and an
unknown name raises :class:`~irbench.errors.UnknownNameError` that suggests the nearest registered names.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from irbench.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names (``"irmas"``, ``"vgg"``) to objects of one kind.

    Parameters
    ----------
    kind:
        What the registry holds, used in error messages (``"task"``, ``"baseline"``).

    Raises
    ------
    ValueError
        On registering a name twice.
    UnknownNameError
        On looking up a name that is not registered.
    """

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, T | str] = {}

    def register(self, name: str, obj: T | None = None) -> Callable[[T], T] | T:
        """Register ``obj`` under ``name``; without ``obj``, return a decorator that does."""
        if obj is not None:
            self._add(name, obj)
            return obj

        def decorator(target: T) -> T:
            self._add(name, target)
            return target

        return decorator

    def register_lazy(self, name: str, target: str) -> None:
        """Register ``"package.module:attribute"``, imported on first :meth:`get`."""
        if ":" not in target:
            raise ValueError(f"lazy {self.kind} target must be 'module:attribute', got {target!r}")
        self._add(name, target)

    def _add(self, name: str, entry: T | str) -> None:
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry

    def get(self, name: str) -> T:
        """Return the object registered as ``name``, importing it if it was registered lazily."""
        try:
            entry = self._entries[name]
        except KeyError:
            close = difflib.get_close_matches(name, self.names(), n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
            raise UnknownNameError(
                f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(self.names())}."
            ) from None
        if isinstance(entry, str):
            module_name, attribute = entry.split(":", 1)
            entry = getattr(importlib.import_module(module_name), attribute)
            self._entries[name] = entry
        return entry

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
