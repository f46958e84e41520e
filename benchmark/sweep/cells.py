"""The axes of a sweep and their cells: task x baseline x seed, parsed from the command line or a grid file.

Every value here comes from a user (a command line or a file) and is parsed strictly: a bad value raises
:class:`~irbench.errors.ConfigError` naming the option and the value, never a traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from irbench.errors import ConfigError
from irbench.store.records import legacy_record_path, record_path

_SEED_RANGE = re.compile(r"(\d+)-(\d+)")
MAX_SEED = 2**32 - 1  # numpy's seed range; torch accepts it too
MAX_CELLS = 20_000
"""Most cells one sweep may hold (seeds listed, and tasks x baselines x configurations x seeds), counted before
anything is expanded: a larger grid is split into several sweeps."""


@dataclass(frozen=True, order=True)
class Cell:
    """One run of a sweep: ``task`` x ``baseline`` x ``variant`` x ``seed`` (registered names, seed >= 0).

    ``variant``: the ``key=value`` overrides of the sweep's configuration axis (``--vary``) this cell adds to
    the sweep's ``--config``; ``configuration``: the planned configuration's folder name
    (:attr:`irbench.run.configuration.Configuration.folder`), where its record lives."""

    task: str
    baseline: str
    seed: int
    variant: tuple[str, ...] = ()
    configuration: str = ""

    @property
    def key(self) -> tuple[str, str, tuple[str, ...]]:
        """``(task, baseline, variant)``: the cells of one key share a planned configuration."""
        return self.task, self.baseline, self.variant

    @property
    def label(self) -> str:
        """``task/baseline/seed-N``, or ``task/baseline/seed-N (learning_rate=1e-4)`` for a variant, as
        messages and tables name the cell."""
        extra = f" ({', '.join(self.variant)})" if self.variant else ""
        return f"{self.task}/{self.baseline}/seed-{self.seed}{extra}"

    def record(self, results_dir: Path) -> Path:
        """Where the cell's run record lives: ``results_dir/<task>/<baseline>/<configuration>/seed-<n>.json``
        (the legacy ``<task>/<baseline>/seed-<n>.json`` for a cell without a planned configuration)."""
        if not self.configuration:
            return legacy_record_path(results_dir, self.task, self.baseline, self.seed)
        return record_path(results_dir, self.task, self.baseline, self.configuration, self.seed)


def parse_vary(values: list[str] | tuple[str, ...] | dict, option: str = "--vary") -> list[tuple[str, list[str]]]:
    """The configuration axis: ``["learning_rate=1e-3,1e-4", "max_epochs=5,10"]`` (or a grid file's
    ``[vary]`` table, ``{"learning_rate": ["1e-3", "1e-4"]}``) -> ``[(key, [values])]`` in order; each value
    becomes one ``key=value`` override, every combination of the keys one configuration.

    Raises ``ConfigError`` naming ``option`` for a missing ``=``, an empty key or value, or a key given twice."""
    items = list(values.items()) if isinstance(values, dict) else []
    if not isinstance(values, dict):
        for value in values:
            if not isinstance(value, str) or "=" not in value:
                raise ConfigError(f"{option} {value!r}: expected key=value1,value2")
            key, _, listed = value.partition("=")
            items.append((key, listed.split(",")))
    axis: list[tuple[str, list[str]]] = []
    for key, listed in items:
        if isinstance(listed, (str, int, float)) and not isinstance(listed, bool):
            listed = [listed]
        if not isinstance(key, str) or not key.strip() or not isinstance(listed, list):
            raise ConfigError(f"{option} {key!r}: expected a setting name and a list of values")
        texts = [str(v).strip() for v in listed]
        if not texts or any(not t or "\n" in t for t in texts):
            raise ConfigError(f"{option} {key}: every value must be non-empty text on one line")
        if any(key.strip() == k for k, _ in axis):
            raise ConfigError(f"{option} {key}: the setting is varied twice")
        axis.append((key.strip(), list(dict.fromkeys(texts))))
    return axis


def split_names(values: list[str] | tuple[str, ...], option: str) -> list[str]:
    """Names from repeated and comma-separated values (``["irmas,openmic", "musicnet"]``), in order, without
    duplicates or blanks.

    Raises ``ConfigError`` naming ``option`` when a value is not a string."""
    names: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise ConfigError(f"{option}: expected names, got {value!r}")
        names += [part.strip() for part in value.split(",") if part.strip()]
    return list(dict.fromkeys(names))


def parse_seeds(values: list[str | int] | tuple[str | int, ...], option: str = "--seed") -> list[int]:
    """Seeds from ``0,1,2``, ``0-2`` (inclusive) or integers, in order, without duplicates.

    Raises ``ConfigError`` naming ``option`` for anything but non-negative integers below 2**32, a range
    that runs backwards, or more than :data:`MAX_CELLS` seeds in all (counted before any range is expanded)."""
    parts: list[str] = []
    for value in values:
        if isinstance(value, bool):
            raise ConfigError(f"{option}: seeds are integers, got {value!r}")
        if isinstance(value, int):
            parts.append(str(value))
        elif isinstance(value, str):
            parts += [part.strip() for part in value.split(",") if part.strip()]
        else:
            raise ConfigError(f"{option}: seeds are integers, got {value!r}")
        if len(parts) > MAX_CELLS:
            raise ConfigError(f"{option}: more than {MAX_CELLS} seeds listed; a sweep holds at most {MAX_CELLS} "
                              "cells: split it into several sweeps")
    listed = sum(_seed_count(part) for part in parts)
    if listed > MAX_CELLS:
        raise ConfigError(f"{option}: {listed} seeds listed ({len(parts)} values or ranges), more than the "
                          f"{MAX_CELLS} cells a sweep holds: split it into several sweeps")
    seeds: list[int] = []
    for part in parts:
        seeds += _seed_part(part, option)
    for seed in seeds:
        if not 0 <= seed <= MAX_SEED:
            raise ConfigError(f"{option}: seed {seed} is outside 0..{MAX_SEED}")
    return list(dict.fromkeys(seeds))


def _seed_count(part: str) -> int:
    """How many seeds ``part`` stands for, without expanding it (a bad part counts one: it fails later)."""
    ranged = _SEED_RANGE.fullmatch(part)
    return max(1, int(ranged.group(2)) - int(ranged.group(1)) + 1) if ranged else 1


def _seed_part(part: str, option: str) -> list[int]:
    ranged = _SEED_RANGE.fullmatch(part)
    if ranged:
        first, last = int(ranged.group(1)), int(ranged.group(2))
        if last < first:
            raise ConfigError(f"{option}: seed range {part!r} runs backwards")
        if last - first >= 10_000:
            raise ConfigError(f"{option}: seed range {part!r} has more than 10000 seeds")
        return list(range(first, last + 1))
    if re.fullmatch(r"-?\d+", part):
        return [int(part)]
    raise ConfigError(f"{option}: {part!r} is not a seed (use e.g. 0,1,2 or 0-2)")


def split_scoped(value: str, option: str, known: list[str] | tuple[str, ...] = ()) -> tuple[str | None, str]:
    """``BASELINE:rest`` -> ``("BASELINE", "rest")``; anything without a ``NAME:`` prefix before its first
    ``=`` -> ``(None, value)`` (applies to every baseline).

    Baseline names may hold colons (``probe:hear:my_module``, ``zero-shot:cnn14-audioset``): the value is
    split at the last ``:`` before its first ``=`` (``probe:hear:my_module:learning_rate=1e-3`` scopes to
    ``probe:hear:my_module``), and the value after ``=`` may hold colons too (``cnn14:checkpoint=/w/C:v1.pth``
    scopes to ``cnn14``). A value without ``=`` (``--frontend BASELINE:NAME``) is split at its last ``:``.
    ``known``: the sweep's baselines; a value that starts with one of them and ``:`` (the longest that fits
    before the first ``=``) scopes to it whatever follows. Raises ``ConfigError`` naming ``option`` when the
    prefix is empty."""
    head = value.split("=", 1)[0]
    if ":" not in head:
        return None, value
    for name in sorted(known, key=len, reverse=True):
        if head.startswith(f"{name}:") and len(name) + 1 < len(head):
            return name, value[len(name) + 1:]
    scope, _, tail = head.rpartition(":")
    if not scope.strip():
        raise ConfigError(f"{option}: {value!r} has an empty baseline before ':'")
    return scope.strip(), value[len(scope) + 1:]


def parse_data_homes(values: list[str], tasks: list[str], option: str = "--data-home") -> dict[str, Path]:
    """Task -> data folder from ``TASK=DIR`` values, or one plain ``DIR`` when the sweep has one task.

    Paths are returned as given (``~`` expanded); whether they exist is checked by the sweep's validation.
    Raises ``ConfigError`` naming ``option`` for a plain DIR with several tasks, an empty part, or a task
    given twice with different folders."""
    homes: dict[str, Path] = {}
    for value in values:
        task, separator, folder = value.partition("=")
        if not separator:
            if len(tasks) != 1:
                raise ConfigError(f"{option} {value!r}: with several tasks, name each one's folder as TASK=DIR "
                                  f"(tasks: {', '.join(tasks) or 'none'})")
            task, folder = tasks[0], value
        task, folder = task.strip(), folder.strip()
        if not task or not folder:
            raise ConfigError(f"{option} {value!r}: expected TASK=DIR")
        path = Path(folder).expanduser()
        if task in homes and homes[task] != path:
            raise ConfigError(f"{option}: task {task!r} is given two folders ({homes[task]} and {path})")
        homes[task] = path
    return homes
