"""A sweep's grid as a file of numbered cells, for any array scheduler.

Slurm gets its job array from ``irbench sweep --executor slurm``. Every other scheduler with array jobs
(PBS/Torque, SGE, LSF, HTCondor, a Kubernetes Indexed Job) runs the same cells from a plan file:

1. ``irbench sweep ... --plan plan.json`` writes the validated grid (paths absolute, every setting) and its
   cells, each with its index, task, baseline, seed, ``--vary`` variant, configuration folder and digest;
   nothing runs;
2. each array task runs ``irbench sweep run-cell --plan plan.json --index $PBS_ARRAY_INDEX`` (or
   ``$SGE_TASK_ID``, ``$LSB_JOBINDEX``, ``$JOB_COMPLETION_INDEX``): cell N resumes from its last epoch,
   writes its record, or a failure record, exactly as a cell of the Slurm array does
   (:func:`irbench.sweep.job.run_job`);
3. ``irbench sweep ... --status`` (the same grid) or ``irbench report`` reads what they wrote.

The file is JSON, written atomically, and read strictly: an unknown version, a missing key, an index out of
range or a file over :data:`MAX_BYTES` is a ``ConfigError`` naming the file.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from irbench.errors import ConfigError
from irbench.store.atomic import atomic_write_text
from irbench.sweep.cells import Cell
from irbench.sweep.spec import SweepSpec

VERSION = 1
MAX_BYTES = 64 * 1024 * 1024
"""Largest plan file read (a million cells fit in far less)."""
_PATHS = ("results_dir", "cache_dir")


def write_plan(path: Path, spec: SweepSpec, cells: list[Cell], digests: dict[tuple, str]) -> Path:
    """Write ``spec`` and its ``cells`` (in index order) to ``path`` atomically; returns the path.

    ``digests``: cell key ``(task, baseline, variant)`` -> the planned configuration's digest."""
    settings = asdict(spec)
    settings["data_homes"] = {task: str(home) for task, home in spec.data_homes.items()}
    for key in _PATHS:
        settings[key] = str(settings[key])
    content = {
        "irbench_plan": VERSION,
        "spec": settings,
        "cells": [{"index": i, "task": c.task, "baseline": c.baseline, "seed": c.seed, "variant": list(c.variant),
                   "configuration": c.configuration, "digest": digests[c.key]} for i, c in enumerate(cells)],
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(content, indent=1, default=str))
    return path


def read_plan(path: Path) -> tuple[SweepSpec, list[dict[str, Any]]]:
    """The grid and the cells of a plan file: ``(spec, cells)``, each cell a dict as :func:`write_plan` wrote it.

    Raises ``ConfigError`` naming the file when it is missing, too large, not JSON, of another version, or
    lacks a key."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such plan file (write one with `irbench sweep ... --plan {path}`)")
    if path.stat().st_size > MAX_BYTES:
        raise ConfigError(f"{path}: {path.stat().st_size} bytes is larger than a plan file can be")
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        if content.get("irbench_plan") != VERSION:
            raise ConfigError(f"{path}: not an irbench plan file of version {VERSION}")
        settings = dict(content["spec"])
        settings["data_homes"] = {task: Path(home) for task, home in settings["data_homes"].items()}
        for key in _PATHS:
            settings[key] = Path(settings[key])
        settings["config"] = [tuple(item) for item in settings["config"]]
        settings["vary"] = [(key, list(values)) for key, values in settings["vary"]]
        settings["frontends"] = {None if key in (None, "null") else key: value
                                 for key, value in settings["frontends"].items()}
        spec = SweepSpec(**settings)
        cells = list(content["cells"])
    except ConfigError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise ConfigError(f"{path}: not a readable irbench plan file ({type(error).__name__}: {error})") from error
    return spec, cells


def cell_of(entry: dict[str, Any]) -> Cell:
    """The :class:`Cell` of a plan file's entry."""
    return Cell(entry["task"], entry["baseline"], int(entry["seed"]), tuple(entry["variant"]),
                entry["configuration"])


def run_cell(path: Path, index: int, overwrite: bool = False):
    """Run cell ``index`` of the plan file at ``path`` in this process, as a cell of a Slurm array runs: it
    resumes from its work folder, writes its record or its failure record, and is skipped when its record
    exists (unless ``overwrite``). Returns its :class:`~irbench.sweep.job.CellOutcome`.

    Raises ``ConfigError`` naming the file for an unreadable plan or an index outside it, or when the
    planned configuration no longer matches what this irbench computes for the cell (another version)."""
    from irbench.sweep.job import JobSpec, run_job
    from irbench.sweep.plan import cell_options

    spec, cells = read_plan(path)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(cells):
        raise ConfigError(f"{path}: no cell {index!r}; the plan has cells 0 to {len(cells) - 1}")
    entry = cells[index]
    cell = cell_of(entry)
    planned = spec.planned()[cell.key]
    if planned.digest() != entry["digest"] or planned.configuration.folder != cell.configuration:
        raise ConfigError(f"{path}: cell {index} ({cell.label}) was planned as configuration {entry['digest']}, "
                          f"but this irbench computes {planned.digest()}; write the plan again")
    options = cell_options(spec, cell, "plan", overwrite)
    job = JobSpec(options, [cell.seed], "plan", planned.digest(), variant=cell.variant,
                  configuration=cell.configuration)
    (outcome,) = run_job(job)
    return outcome
