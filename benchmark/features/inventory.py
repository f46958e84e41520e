"""What the cache folder holds (``irbench cache info``) and removing parts of it (``irbench cache clear``).

The cache folder (``--cache-dir``, default ``.cache/irbench``) holds ``features/<front end>-<key>/``, one
folder per front-end configuration (with a ``frontend.json`` naming it), and ``audio-sha256/``, the memoised
audio hashes. Nothing else is ever removed: a folder irbench did not write is left alone.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from irbench.features.hashes import MEMO_FOLDER

FEATURES_FOLDER = "features"
DESCRIPTION_FILE = "frontend.json"


@dataclass(frozen=True)
class CachePart:
    """One removable part of the cache: a front-end configuration's features, or the hash memo.

    ``kind`` is ``features`` or ``hashes``; ``name`` the front end (or ``audio hashes``); ``config`` the
    front end's configuration when known; ``entries`` cached files (features: arrays; hashes: memo files);
    ``partial`` left-over ``.partial`` files of interrupted writes; ``bytes`` on disk.
    """

    kind: str
    name: str
    path: Path
    config: dict | None
    entries: int
    partial: int
    bytes: int


def _size(folder: Path) -> tuple[int, int, int]:
    entries = partial = total = 0
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        total += path.stat().st_size
        if ".partial" in path.name:
            partial += 1
        elif path.suffix == ".npy" or (path.suffix == ".json" and path.parent.name == MEMO_FOLDER):
            entries += 1
    return entries, partial, total


def cache_parts(cache_dir: Path) -> list[CachePart]:
    """Every part of the cache at ``cache_dir``, front ends sorted by name; empty when there is no cache."""
    root = Path(cache_dir).expanduser()
    parts = []
    features = root / FEATURES_FOLDER
    for folder in sorted(features.iterdir()) if features.is_dir() else []:
        if not folder.is_dir():
            continue
        try:
            description = json.loads((folder / DESCRIPTION_FILE).read_text(encoding="utf-8"))
            name, config = str(description["frontend"]), description.get("config")
        except (OSError, ValueError, KeyError, TypeError):
            name, config = folder.name.rsplit("-", 1)[0], None
        parts.append(CachePart("features", name, folder, config, *_size(folder)))
    memo = root / MEMO_FOLDER
    if memo.is_dir():
        parts.append(CachePart("hashes", "audio hashes", memo, None, *_size(memo)))
    return parts


def select(parts: list[CachePart], frontends: list[str], hashes: bool) -> list[CachePart]:
    """The parts ``irbench cache clear`` removes: features of the named front ends (all when none is named
    and ``hashes`` is false) and, with ``hashes``, the hash memo."""
    chosen = []
    for part in parts:
        if part.kind == "hashes":
            if hashes or not frontends:
                chosen.append(part)
        elif (not frontends and not hashes) or part.name in frontends:
            chosen.append(part)
    return chosen


def remove(parts: list[CachePart]) -> int:
    """Delete the parts' folders; returns the bytes freed."""
    freed = 0
    for part in parts:
        shutil.rmtree(part.path, ignore_errors=True)
        freed += part.bytes
    return freed


def describe_frontend(folder: Path, name: str, config: dict) -> None:
    """Write ``frontend.json`` (front end name and configuration) into a front end's cache folder once."""
    from irbench.store.atomic import atomic_write_text

    path = Path(folder) / DESCRIPTION_FILE
    if not path.exists():
        atomic_write_text(path, json.dumps({"frontend": name, "config": config}, indent=1, sort_keys=True))
