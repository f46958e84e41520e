"""A small, strict name registry for tasks, baselines, front ends and stand-in generators.

Modelled on lm-evaluation-harness's registry: entries are registered by decorator or lazily as
``"module:attribute"`` strings (so listing names imports nothing heavy), duplicate names are refused, and an
unknown name raises :class:`~irbench.errors.UnknownNameError` that suggests the nearest registered names.

Third-party packages add entries through an entry-point group (``irbench.baselines``, ``irbench.tasks``,
``irbench.frontends``), discovered with ``importlib.metadata`` the way pytest finds its plugins, and loaded
lazily:

- the first lookup reads the group's entry points from the installed distributions' metadata (no plugin is
  imported); a plugin whose name a built-in already has is ignored with a :class:`PluginWarning` naming its
  package (the built-in wins), as is one whose name is outside ``^[a-z0-9][a-z0-9._-]*$`` or already claimed
  by another package;
- a lookup by name (:meth:`Registry.get`, ``in``, :meth:`Registry.source`) imports only the entry point of
  that name, and runs the registry's check on it (a plugin task's contract, a baseline's declarations);
- listing (:meth:`Registry.names`, iteration, :meth:`Registry.load_plugins`; ``irbench list``) imports them
  all;
- a plugin that fails to import, calls ``sys.exit`` at import, or fails the check is recorded in
  ``plugin_errors``, reported with a ``PluginWarning`` and skipped: looking it up raises ``UnknownNameError``
  saying why;
- a plugin whose import takes longer than :data:`SLOW_IMPORT_SECONDS` is named on stderr while it is still
  importing, with the way to skip plugins (a hung import cannot be interrupted safely inside the process:
  Python offers no way to stop a thread, and a module half imported by a signal handler is left broken, so
  irbench says which plugin it waits for instead of guessing a timeout);
- ``IRBENCH_DISABLE_PLUGINS=1`` turns discovery off.
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from typing import Generic, TypeVar

from irbench.errors import UnknownNameError

DISABLE_PLUGINS = "IRBENCH_DISABLE_PLUGINS"
NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # task, baseline and other registered names
SLOW_IMPORT_SECONDS = 5.0
"""Seconds a plugin may take to import before irbench names it on stderr (it keeps waiting for it)."""


def concrete_subclass(base: type, spelled: str) -> Callable[[object], str | None]:
    """A registry check: an entry must be a subclass of ``base`` (named ``spelled`` in the message, e.g.
    ``irbench.Embedder``) with no abstract method left unimplemented; the check returns what is wrong or
    ``None``."""
    import inspect

    def check(entry: object) -> str | None:
        if not (isinstance(entry, type) and issubclass(entry, base)):
            return f"is a {type(entry).__name__}, not a subclass of {spelled}"
        if inspect.isabstract(entry):
            return f"leaves abstract methods unimplemented: {', '.join(sorted(entry.__abstractmethods__))}"
        return None

    return check


class PluginWarning(UserWarning):
    """A plugin was skipped: it failed to import or its check, or its name clashes with a built-in."""


T = TypeVar("T")


@dataclass(frozen=True)
class _Lazy:
    """A built-in registered as ``"package.module:attribute"``, imported on first lookup."""

    target: str


def plugins_disabled() -> bool:
    """Whether ``IRBENCH_DISABLE_PLUGINS`` is set to anything but ``""`` or ``"0"``."""
    return os.environ.get(DISABLE_PLUGINS, "").strip() not in ("", "0")


def _package(point: metadata.EntryPoint) -> str:
    dist = getattr(point, "dist", None)
    return dist.name if dist is not None else "unknown package"


@contextmanager
def _named_if_slow(what: str) -> Iterator[None]:
    """While the block runs longer than ``SLOW_IMPORT_SECONDS``, one line on stderr says that importing
    ``what`` is taking long and how to skip plugins (a ``threading.Timer``; the block itself is never
    interrupted, see the module docstring)."""

    def say() -> None:
        sys.stderr.write(f"irbench: importing {what} has taken over {SLOW_IMPORT_SECONDS:g} s and is still "
                         f"running; if it hangs, stop irbench and set {DISABLE_PLUGINS}=1 to skip plugins\n")
        sys.stderr.flush()

    timer = threading.Timer(SLOW_IMPORT_SECONDS, say)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


class Registry(Generic[T]):
    """Maps names (``"irmas"``, ``"vgg"``) to objects of one kind.

    Parameters
    ----------
    kind:
        What the registry holds, used in error messages (``"task"``, ``"baseline"``).
    entry_point_group:
        The entry-point group plugins register in (``"irbench.tasks"``); ``None`` for no plugins.
    check:
        ``check(entry)`` says what is wrong with an entry (``None`` when it is fine); run on every plugin
        entry when it is loaded and on every lazy built-in when it is imported.

    Raises
    ------
    ValueError
        On registering a name twice, or a name outside ``^[a-z0-9][a-z0-9._-]*$``.
    UnknownNameError
        On looking up a name that is not registered (or whose plugin was skipped, saying why).
    """

    def __init__(self, kind: str, entry_point_group: str | None = None,
                 check: Callable[[object], str | None] | None = None):
        self.kind = kind
        self.entry_point_group = entry_point_group
        self.check = check
        self._entries: dict[str, T | _Lazy] = {}
        self._sources: dict[str, str] = {}
        self._pending: dict[str, metadata.EntryPoint] | None = None if entry_point_group else {}
        self.plugin_errors: dict[str, str] = {}
        """Plugin name -> ``"package: what is wrong"`` for every plugin skipped so far."""

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
        self._add(name, _Lazy(target))

    def _add(self, name: str, entry: T | _Lazy, source: str = "irbench") -> None:
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise ValueError(f"{self.kind} name {name!r} is not allowed: use lower-case letters, digits, '.', '_' "
                             "and '-', starting with a letter or digit")
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        if self._pending and name in self._pending:  # registered after discovery: it still wins
            self._ignore_clash(self._pending.pop(name))
        self._entries[name] = entry
        self._sources[name] = source

    def _ignore_clash(self, point: metadata.EntryPoint) -> None:
        warnings.warn(f"{self.kind} {point.name!r} from package {_package(point)!r} ignored: the built-in "
                      f"{self.kind} of that name wins", PluginWarning, stacklevel=4)

    def _skip(self, name: str, package: str, problem: str) -> None:
        self.plugin_errors[name] = f"{package}: {problem}"
        warnings.warn(f"{self.kind} plugin {name!r} from package {package!r} skipped: {problem}",
                      PluginWarning, stacklevel=4)

    def _discover(self) -> dict[str, metadata.EntryPoint]:
        """The group's entry points not yet loaded, by name; read once from distribution metadata (nothing is
        imported), unless plugins are disabled."""
        if self._pending is None:
            self._pending = {}
            if plugins_disabled():
                return self._pending
            for point in metadata.entry_points(group=self.entry_point_group):
                package = _package(point)
                if point.name in self._entries:
                    self._ignore_clash(point)
                elif not isinstance(point.name, str) or not NAME.fullmatch(point.name):
                    self._skip(str(point.name), package, "its name must match ^[a-z0-9][a-z0-9._-]*$")
                elif point.name in self._pending:
                    self._skip(point.name, package, f"the name is already taken by package "
                                                    f"{_package(self._pending[point.name])!r}")
                else:
                    self._pending[point.name] = point
        return self._pending

    def _load(self, name: str) -> bool:
        """Import the pending entry point ``name`` and check it; returns whether it was registered."""
        point = self._discover().pop(name, None)
        if point is None:
            return False
        package = _package(point)
        try:
            with _named_if_slow(f"{self.kind} plugin {name!r} from package {package!r}"):
                loaded = point.load()
            problem = self.check(loaded) if self.check is not None else None
        except (Exception, SystemExit) as error:  # a broken plugin must not break (or end) irbench
            problem = f"failed to import ({type(error).__name__}: {error})"
        if problem is not None:
            self._skip(name, package, problem)
            return False
        if name in self._entries:  # the plugin registered itself while it was imported
            self._sources[name] = package
        else:
            self._add(name, loaded, source=package)
        return True

    def _has(self, name: object) -> bool:
        """Whether ``name`` is registered, loading its plugin (only that one) if it has one."""
        if name in self._entries:
            return True
        return isinstance(name, str) and name in self._discover() and self._load(name)

    def load_plugins(self) -> None:
        """Import and check every entry point of the group not loaded yet (what listing does).

        A plugin that fails is recorded in ``plugin_errors`` (name -> message), warned about and skipped.
        Nothing happens without an entry-point group or with ``IRBENCH_DISABLE_PLUGINS=1``.
        """
        for name in list(self._discover()):
            self._load(name)

    def is_builtin(self, name: object) -> bool:
        """Whether ``name`` is one of irbench's own entries (imports nothing, discovers no plugin)."""
        return name in self._entries and self._sources.get(name) == "irbench"

    def source(self, name: str) -> str:
        """The package that registered ``name`` (``irbench`` for built-ins); raises ``UnknownNameError``."""
        if not self._has(name):
            self._unknown(name)
        return self._sources[name]

    def get(self, name: str) -> T:
        """Return the object registered as ``name``, importing it (and only it) if it is lazy or a plugin.

        Raises
        ------
        UnknownNameError: ``name`` is not registered (nearest names suggested), or its plugin was skipped.
        TypeError: a lazy built-in fails the registry's check.
        """
        if not self._has(name):
            self._unknown(name)
        entry = self._entries[name]
        if isinstance(entry, _Lazy):
            module_name, attribute = entry.target.split(":", 1)
            entry = getattr(importlib.import_module(module_name), attribute)
            problem = self.check(entry) if self.check is not None else None
            if problem is not None:
                raise TypeError(f"{self.kind} {name!r} ({module_name}:{attribute}) {problem}")
            self._entries[name] = entry
        return entry

    def _unknown(self, name: object) -> None:
        if name in self.plugin_errors:
            raise UnknownNameError(f"{self.kind} {name!r} cannot be used: its plugin was skipped "
                                   f"({self.plugin_errors[name]}).")
        known = sorted({*self._entries, *self._discover()})  # names only: a miss imports no plugin
        close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise UnknownNameError(f"unknown {self.kind} {name!r}.{hint} Known: {', '.join(known)}.") from None

    def names(self) -> list[str]:
        """Registered names, every plugin loaded and checked (broken ones left out), sorted."""
        self.load_plugins()
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return self._has(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())
