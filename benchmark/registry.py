"""A small, strict name registry for tasks, baselines and stand-in generators.

Modelled on lm-evaluation-harness's registry: entries are registered by decorator or lazily as
``"module:attribute"`` strings (so listing names imports nothing heavy), duplicate names are refused, and an
unknown name raises :class:`~irbench.errors.UnknownNameError` that suggests the nearest registered names.
Third-party packages add entries through an entry-point group (``irbench.baselines``, ``irbench.tasks``),
discovered with ``importlib.metadata`` the way pytest finds its plugins: built-ins win a name clash (with a
warning naming the package), a plugin that fails to import is reported by name and skipped, and
``IRBENCH_DISABLE_PLUGINS=1`` turns discovery off. A plugin that calls ``sys.exit`` at import, registers
something that is not what the registry holds (a plain function for a baseline), or has a name outside
``^[a-z0-9][a-z0-9._-]*$`` is reported by name and skipped.
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
import warnings
from collections.abc import Callable, Iterator
from importlib import metadata
from typing import Generic, TypeVar

from irbench.errors import UnknownNameError

DISABLE_PLUGINS = "IRBENCH_DISABLE_PLUGINS"
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # task, baseline and other registered names


class PluginWarning(UserWarning):
    """A plugin was skipped: it failed to import, or its name clashes with a built-in."""

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

    def __init__(self, kind: str, entry_point_group: str | None = None,
                 check: Callable[[object], str | None] | None = None):
        self.kind = kind
        self.entry_point_group = entry_point_group
        self.check = check  # returns what is wrong with an entry (``None`` when it is fine)
        self._entries: dict[str, T | str] = {}
        self._sources: dict[str, str] = {}
        self._plugins_loaded = entry_point_group is None
        self.plugin_errors: dict[str, str] = {}

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

    def _add(self, name: str, entry: T | str, source: str = "irbench") -> None:
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise ValueError(f"{self.kind} name {name!r} is not allowed: use lower-case letters, digits, '.', '_' "
                             "and '-', starting with a letter or digit")
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        self._sources[name] = source

    def load_plugins(self) -> None:
        """Register the entry points of ``entry_point_group`` once (unless ``IRBENCH_DISABLE_PLUGINS=1``).

        A plugin whose name is already taken is skipped with a ``PluginWarning`` naming its package; one
        that fails to import is recorded in ``plugin_errors`` (name -> message), warned about and skipped.
        """
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        if os.environ.get(DISABLE_PLUGINS, "").strip() not in ("", "0"):
            return
        for point in metadata.entry_points(group=self.entry_point_group):
            package = point.dist.name if point.dist is not None else "unknown package"
            if point.name in self._entries:
                warnings.warn(f"{self.kind} {point.name!r} from package {package!r} ignored: the built-in "
                              f"{self.kind} of that name wins", PluginWarning, stacklevel=2)
                continue
            try:
                loaded = point.load()
                problem = self.check(loaded) if self.check is not None else None
                if problem is None and not NAME.fullmatch(point.name):
                    problem = "its name must match ^[a-z0-9][a-z0-9._-]*$"
            except (Exception, SystemExit) as error:  # a broken plugin must not break (or end) irbench
                problem = f"failed to import ({type(error).__name__}: {error})"
            if problem is not None:
                self.plugin_errors[point.name] = f"{package}: {problem}"
                warnings.warn(f"{self.kind} plugin {point.name!r} from package {package!r} skipped: {problem}",
                              PluginWarning, stacklevel=2)
                continue
            self._add(point.name, loaded, source=package)

    def source(self, name: str) -> str:
        """The package that registered ``name`` (``irbench`` for built-ins)."""
        self.load_plugins()
        return self._sources[name]

    def get(self, name: str) -> T:
        """Return the object registered as ``name``, importing it if it was registered lazily."""
        self.load_plugins()
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
            problem = self.check(entry) if self.check is not None else None
            if problem is not None:
                raise TypeError(f"{self.kind} {name!r} ({module_name}:{attribute}) {problem}")
            self._entries[name] = entry
        return entry

    def names(self) -> list[str]:
        """Registered names (plugins included), sorted."""
        self.load_plugins()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        self.load_plugins()
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
