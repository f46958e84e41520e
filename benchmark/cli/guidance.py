"""What the command line says when a user's input is nearly right: a name in the wrong case, a data folder
one level inside the dataset, a results folder above or below where the records sit.

Each helper looks only where the mistake would put things, with bounded work (a few parent folders, a
depth- and count-limited walk), and turns a misleading message into the one that names the fix."""

from __future__ import annotations

import os
from pathlib import Path

from irbench.errors import DataNotFoundError, IrbenchError, UnknownNameError

WALK_DEPTH = 6  # folders below --results-dir searched for a stray record
WALK_FOLDERS = 20_000  # at most this many folders visited
RECORD_LAYOUT = "RESULTS_DIR/<task>/<baseline>/<configuration>/seed-<n>.json"


def check_case(name: str, *kinds: str) -> None:
    """Refuse a name that is registered only in another case (``IRMAS``), suggesting the registered spelling
    (``Did you mean 'irmas'?``, worded as the registry's own suggestion). ``kinds`` are the registries to look in: ``task``, ``baseline``.

    Names with a ``:`` (``probe:hear:<module>``), lower-case names and names unknown in any case are left to
    the registry, whose own message suggests the nearest names. Raises ``UnknownNameError``."""
    if ":" in name or name == name.lower():
        return
    from irbench.baselines import BASELINES
    from irbench.tasks import TASKS

    registries = {"task": TASKS, "baseline": BASELINES}
    if any(name in registries[kind] for kind in kinds):
        return
    for kind in kinds:
        folded = next((known for known in registries[kind].names() if known.casefold() == name.casefold()), None)
        if folded is not None:
            raise UnknownNameError(f"unknown {kind} {name!r}. Did you mean {folded!r}? (names are case-sensitive)")


def _dataset_root(task: str, data_home: Path) -> Path | None:
    """The parent (or grandparent) of ``data_home`` under which ``task``'s data loads, or ``None``."""
    from irbench.tasks import get_task

    here = Path(data_home).expanduser()
    if not here.is_dir():
        return None
    loader = get_task(task)
    for parent in list(here.resolve().parents)[:2]:
        try:
            data = loader.load(parent)
        except (IrbenchError, OSError, ValueError):
            continue
        if any(data.splits.values()):
            return parent
    return None


def inside_dataset(task: str, data_home: Path, error: DataNotFoundError) -> DataNotFoundError:
    """The error to show for ``error``, raised loading ``task`` from ``data_home``: when ``data_home`` is a
    folder inside the dataset (``.../IRMAS-TrainingData``), one naming it and the parent to pass instead of
    the loader's advice to download or synthesise into it; otherwise ``error`` itself.

    Loads the task from at most two parent folders, only after the load failed."""
    try:
        root = _dataset_root(task, data_home)
    except IrbenchError:
        root = None
    if root is None:
        return error
    inner = Path(data_home).expanduser().resolve().relative_to(root)
    which = "its parent" if len(inner.parts) == 1 else "the dataset's own folder"
    return DataNotFoundError(f"{data_home}: this looks like the {inner.as_posix()} folder inside the {task} "
                             f"dataset at {root}; pass {which}: --data-home {root}")


def records_below(root: Path, most: int) -> list[Path]:
    """Up to ``most`` run records (``seed-<n>.json``; sorted walk, hidden folders skipped) at most
    :data:`WALK_DEPTH` folders below ``root``, visiting at most :data:`WALK_FOLDERS` folders."""
    from irbench.store.records import RECORD_NAME

    found: list[Path] = []
    visited = 0
    for folder, subfolders, files in os.walk(root):
        visited += 1
        depth = len(Path(folder).relative_to(root).parts)
        subfolders[:] = sorted(s for s in subfolders if not s.startswith(".")) if depth < WALK_DEPTH else []
        found += [Path(folder) / f for f in sorted(files) if RECORD_NAME.fullmatch(f)]
        if len(found) >= most or visited >= WALK_FOLDERS:
            break
    return found[:most]


def _first_record_below(root: Path) -> Path | None:
    """The first ``seed-<n>.json`` below ``root`` (:func:`records_below`), or ``None``."""
    first = records_below(root, 1)
    return first[0] if first else None


def _results_root(record: Path) -> Path | None:
    """The results folder ``record`` belongs to: the folder holding ``<task>/<baseline>/<configuration>/``
    (or the older ``<task>/<baseline>/``) as the record names its task and baseline; ``None`` when it names
    neither or cannot be read."""
    from irbench.store.records import read_record

    try:
        read = read_record(record)
    except (IrbenchError, OSError, ValueError):
        return None
    parents = record.parents
    if len(parents) > 3 and (parents[2].name, parents[1].name) == (read.task, read.baseline):
        return parents[3]
    if len(parents) > 2 and (parents[1].name, parents[0].name) == (read.task, read.baseline):
        return parents[2]
    return None


def records_elsewhere(results_dir: Path) -> DataNotFoundError | None:
    """When ``irbench report`` finds no record at :data:`RECORD_LAYOUT` under ``results_dir`` but one sits
    below it (``results_dir`` is a task, baseline or configuration folder, or a folder above the results
    folder), the error naming it and the ``--results-dir`` to pass; ``None`` otherwise (the report's own
    message stands)."""
    from irbench.store.records import find_records

    root = Path(results_dir).expanduser()
    if not root.is_dir() or find_records(root):
        return None
    record = _first_record_below(root)
    if record is None:
        return None
    right = _results_root(record)
    where = f"no run records at {RECORD_LAYOUT} in {results_dir}, though one sits at {record}"
    if right is None:
        return DataNotFoundError(f"{where}, not in that layout; pass the folder that holds <task>/ as "
                                 "--results-dir")
    return DataNotFoundError(f"{where}: pass --results-dir {right}")
