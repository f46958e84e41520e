"""The sweep's grid and run settings (:class:`SweepSpec`), built from command-line and grid-file values
(:class:`GridValues`) and validated in full before anything runs.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from irbench.errors import ConfigError, DataNotFoundError
from irbench.run.configuration import DEFAULT_THREADS
from irbench.run.preflight import check_threads
import itertools

from irbench.sweep.cells import (
    MAX_CELLS,
    Cell,
    parse_data_homes,
    parse_seeds,
    parse_vary,
    split_names,
    split_scoped,
)
from irbench.sweep.identity import PlannedConfig, planned_config

DEVICES = ("auto", "cpu", "cuda")


@dataclass
class GridValues:
    """Raw settings as a user gave them, on the command line or in a grid file (``None`` / empty: not given).

    Lists hold the command line's strings: names may be comma-separated, seeds ``0,1,2`` or ``0-2``,
    ``data_homes`` ``TASK=DIR`` (or one ``DIR``), ``config`` ``key=value`` or ``BASELINE:key=value``,
    ``frontend`` ``NAME`` or ``BASELINE:NAME``, ``vary`` ``key=value1,value2`` (or a grid file's ``[vary]``
    table). ``executor`` holds the execution settings
    (see :class:`irbench.sweep.executors.ExecutorSettings`), ``slurm`` the Slurm ones by name."""

    tasks: list[str] = field(default_factory=list)
    baselines: list[str] = field(default_factory=list)
    seeds: list[str | int] = field(default_factory=list)
    data_homes: list[str] = field(default_factory=list)
    config: list[str] = field(default_factory=list)
    vary: list[str] | dict[str, Any] = field(default_factory=list)
    frontend: list[str] = field(default_factory=list)
    max_epochs: int | None = None
    threads: int | None = None
    device: str | None = None
    results_dir: Path | None = None
    cache_dir: Path | None = None
    workers: int | None = None
    skip_bad: bool | None = None
    executor: dict[str, Any] = field(default_factory=dict)
    slurm: dict[str, Any] = field(default_factory=dict)

    def over(self, base: GridValues) -> GridValues:
        """These values laid over ``base``: a value given here wins; ``config`` and ``data_homes`` add to
        ``base``'s (later entries win); ``executor`` and ``slurm`` merge key by key."""
        merged = GridValues()
        for item in fields(GridValues):
            mine, theirs = getattr(self, item.name), getattr(base, item.name)
            if item.name in ("config", "data_homes"):
                value = [*theirs, *mine]
            elif item.name in ("executor", "slurm"):
                value = {**theirs, **mine}
            else:
                value = mine if mine not in (None, []) else theirs
            setattr(merged, item.name, value)
        return merged


@dataclass
class SweepSpec:
    """A validated grid: tasks x baselines x seeds and how every cell runs.

    ``config``: ``(baseline or None for all, "key=value")`` in order; ``vary``: the configuration axis,
    ``[(key, [values])]``, each combination one configuration of every baseline; ``frontends``: baseline (or ``None``)
    -> front-end name. Paths are absolute, so jobs on other machines or in other folders find them.
    ``workers`` ``None`` means each job uses the CPU cores it may run on (a Slurm job's, not the launcher's).
    """

    tasks: list[str]
    baselines: list[str]
    seeds: list[int]
    data_homes: dict[str, Path]
    config: list[tuple[str | None, str]] = field(default_factory=list)
    vary: list[tuple[str, list[str]]] = field(default_factory=list)
    frontends: dict[str | None, str] = field(default_factory=dict)
    max_epochs: int | None = None
    threads: int = DEFAULT_THREADS
    device: str = "auto"
    results_dir: Path = field(default_factory=lambda: Path("results").absolute())
    cache_dir: Path = field(default_factory=lambda: Path(".cache/irbench").absolute())
    workers: int | None = None
    skip_bad: bool = False

    def variants(self) -> list[tuple[str, ...]]:
        """Every combination of the configuration axis (``--vary``): ``[("learning_rate=1e-3",),
        ("learning_rate=1e-4",)]``; ``[()]`` without one."""
        return [tuple(f"{key}={value}" for key, value in zip((k for k, _ in self.vary), chosen))
                for chosen in itertools.product(*(values for _, values in self.vary))]

    def cells(self, planned: dict[tuple, PlannedConfig] | None = None) -> list[Cell]:
        """Every cell, task-major then baseline then variant then seed (the order the inline executor runs
        them), each with its planned configuration's folder (``planned``: :meth:`planned`'s result)."""
        planned = planned if planned is not None else self.planned()
        return [Cell(t, b, s, v, planned[(t, b, v)].configuration.folder)
                for t in self.tasks for b in self.baselines for v in self.variants() for s in self.seeds]

    def overrides_for(self, baseline: str, variant: tuple[str, ...] = ()) -> list[str]:
        """The ``key=value`` overrides that apply to ``baseline`` (global ones first, the variant's last)."""
        return [value for scope, value in self.config if scope in (None, baseline)] + list(variant)

    def frontend_for(self, baseline: str) -> str | None:
        """The front end asked for ``baseline`` (its own entry wins over a global one)."""
        return self.frontends.get(baseline, self.frontends.get(None))

    def planned(self) -> dict[tuple[str, str, tuple[str, ...]], PlannedConfig]:
        """(task, baseline, variant) -> planned configuration; raises what :func:`planned_config` raises."""
        return {(t, b, v): planned_config(t, b, self.overrides_for(b, v), self.max_epochs, self.frontend_for(b),
                                          self.device, self.cache_dir, self.threads)
                for t in self.tasks for b in self.baselines for v in self.variants()}


def build_spec(values: GridValues, cwd: Path | None = None) -> SweepSpec:
    """Parse and check ``values`` into a :class:`SweepSpec`; nothing is run or written.

    Checks: at least one task, baseline and seed; every name registered (suggesting the nearest on a typo);
    seeds non-negative; a data folder for every task, and every folder exists; ``--data-home``, ``--config``
    and ``--frontend`` scopes name tasks or baselines of the sweep; every baseline accepts its overrides and
    front end; the device is ``auto``, ``cpu`` or ``cuda``.

    Raises ``ConfigError``, ``UnknownNameError`` or ``DataNotFoundError`` naming the option and value.
    """
    from irbench.baselines import BASELINES
    from irbench.tasks import TASKS

    cwd = Path(cwd or Path.cwd())
    tasks = split_names(values.tasks, "--task")
    baselines = split_names(values.baselines, "--baseline")
    seeds = parse_seeds(values.seeds)
    for option, given in (("--task", tasks), ("--baseline", baselines), ("--seed", seeds)):
        if not given:
            raise ConfigError(f"no {option.lstrip('-')} given: pass {option} (comma-separated or repeated) or "
                              "name them in the grid file")
    for name in tasks:
        TASKS.get(name)
    for name in baselines:
        BASELINES.get(name)
    vary = parse_vary(values.vary)
    configurations = math.prod(len(listed) for _, listed in vary)
    cells = len(tasks) * len(baselines) * configurations * len(seeds)
    if cells > MAX_CELLS:
        raise ConfigError(f"the grid has {cells} cells (tasks x baselines x configurations x seeds = {len(tasks)} x "
                          f"{len(baselines)} x {configurations} x {len(seeds)}), more than the {MAX_CELLS} a sweep "
                          "holds: split it into several sweeps")
    device = values.device or "auto"
    if device not in DEVICES:
        raise ConfigError(f"--device {device!r}: use auto, cpu or cuda")
    spec = SweepSpec(
        tasks=tasks, baselines=baselines, seeds=seeds, data_homes=_data_homes(values.data_homes, tasks, cwd),
        config=_scoped(values.config, baselines, "--config"), vary=vary,
        frontends=dict(_scoped(values.frontend, baselines, "--frontend")),
        max_epochs=_non_negative(values.max_epochs, "--max-epochs"), device=device,
        threads=check_threads(values.threads if values.threads is not None else DEFAULT_THREADS),
        results_dir=_absolute(values.results_dir or Path("results"), cwd),
        cache_dir=_absolute(values.cache_dir or Path(".cache/irbench"), cwd),
        workers=_positive(values.workers, "--workers"), skip_bad=bool(values.skip_bad),
    )
    check_folder(spec.results_dir, "--results-dir (or the grid file's results_dir)")
    for scope, value in spec.config:
        if "=" not in value:
            where = f"{scope}:" if scope else ""
            raise ConfigError(f"--config {where}{value!r}: expected key=value (or BASELINE:key=value)")
    spec.planned()  # every baseline accepts its overrides and front end
    return spec


def check_folder(path: Path, option: str) -> None:
    """Raise ``ConfigError`` naming ``option`` when ``path``, or the nearest part of it that exists, is not a
    folder (a results folder that is a file, or lies under one)."""
    for part in (path, *path.parents):
        if part.exists() or part.is_symlink():
            if not part.is_dir():
                what = "is a file" if part == path else f"lies under {part}, which is a file"
                raise ConfigError(f"{option} {path}: {what}, not a folder")
            return


def check_writable(path: Path, option: str = "--results-dir") -> None:
    """Make sure records can be written under ``path``: create it if needed and write and remove a probe
    file in it. Raises ``ConfigError`` naming ``option`` and the system's reason (a read-only folder or file
    system, no permission)."""
    import tempfile

    check_folder(path, option)
    try:
        path.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(prefix=".irbench-write-probe-", dir=path)
        os.close(descriptor)
        os.unlink(probe)
    except OSError as error:
        raise ConfigError(f"{option} {path}: records cannot be written there ({error.strerror or error}); "
                          "pass a writable --results-dir") from error


def _absolute(path: Path, cwd: Path) -> Path:
    path = Path(path).expanduser()
    return path if path.is_absolute() else (cwd / path).absolute()


def _non_negative(value: int | None, option: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ConfigError(f"{option} {value!r}: expected a whole number >= 0")
    return value


def _positive(value: int | None, option: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ConfigError(f"{option} {value!r}: expected a whole number >= 1")
    return value


def _data_homes(values: list[str], tasks: list[str], cwd: Path) -> dict[str, Path]:
    homes = parse_data_homes(values, tasks)
    unknown = [task for task in homes if task not in tasks]
    if unknown:
        raise ConfigError(f"--data-home names task(s) {', '.join(map(repr, unknown))} that the sweep does not "
                          f"run (tasks: {', '.join(tasks)})")
    missing = [task for task in tasks if task not in homes]
    if missing:
        example = " ".join(f"--data-home {task}=DIR" for task in missing)
        raise ConfigError(f"no data folder for task(s) {', '.join(missing)}: pass {example}")
    resolved = {}
    for task in tasks:
        path = _absolute(homes[task], cwd)
        if not path.is_dir():
            raise DataNotFoundError(f"--data-home for task {task}: {path} is not a folder. Download the dataset "
                                    f"(irbench data download {task} --data-home DIR) or render a stand-in "
                                    f"(irbench data synth {task} --out DIR)")
        resolved[task] = path
    return resolved


def _scoped(values: list[str], baselines: list[str], option: str) -> list[tuple[str | None, str]]:
    scoped = []
    for value in values:
        if not isinstance(value, str):
            raise ConfigError(f"{option}: expected text, got {value!r}")
        scope, rest = split_scoped(value, option, baselines)
        if scope is not None and scope not in baselines:
            raise ConfigError(f"{option} {value!r}: {scope!r} is not a baseline of this sweep "
                              f"(baselines: {', '.join(baselines)})")
        scoped.append((scope, rest))
    return scoped
