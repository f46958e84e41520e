"""The report's output folder: checked before writing, and kept free of pages the report itself wrote before
that no longer have records.

Every report run records what it wrote, per format, in :data:`MANIFEST` (``OUT/.irbench-report.json``,
written atomically). The next run of the same format removes the files its previous run listed that it does
not write again (a task whose records are gone loses its page), and nothing else: a file is removed only
when the manifest lists it, its name is a plain file name of that format (``<task>.html`` with a valid task
name, or ``leaderboard.<suffix>``), it is a regular file (not a link), and, for HTML, it carries the
report's ``<meta name="generator" content="irbench ...">`` mark. Anything the user put in the folder is
left alone, and another format's files too (a Markdown run never removes HTML pages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from irbench.errors import OutputError
from irbench.report.safety import is_safe_name
from irbench.store.atomic import atomic_write_text

MANIFEST = ".irbench-report.json"
"""The manifest's file name inside the output folder."""
GENERATOR_MARK = '<meta name="generator" content="irbench'
"""What every HTML page the report writes carries near its top (see ``templates/_base.html.j2``)."""
_TABLE_NAME = re.compile(r"leaderboard\.(md|tex|csv)")
_MAX_MANIFEST_BYTES = 1_000_000


def writable_out(out_dir: Path) -> Path:
    """``out_dir``, created if needed, once a file can be written in it.

    Raises
    ------
    OutputError: it cannot be created (a regular file is in the way, or a file above it) or written
        (read-only, no permission, disk full); one line naming the folder and the system's reason.
    """
    from irbench.run.preflight import writable_folder

    return writable_folder(Path(out_dir), "report")


def written(out_dir: Path, write: Callable[[], Path]) -> Path:
    """``write()`` (a format's writer), with any ``OSError`` turned into ``OutputError`` naming the file and
    the system's reason (a page whose name is taken by a folder, a full disk)."""
    try:
        return write()
    except OSError as error:
        where = error.filename or out_dir
        raise OutputError(f"cannot write the report to {where}: {error.strerror or error}") from error


def _read(out_dir: Path) -> dict[str, list[str]]:
    """The manifest's ``{format: [file names]}``; empty when absent, unreadable or not that shape (a
    damaged manifest only means nothing is removed)."""
    path = Path(out_dir) / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > _MAX_MANIFEST_BYTES:
            return {}
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(content, dict) or not isinstance(content.get("files"), dict):
        return {}
    return {fmt: [n for n in names if isinstance(n, str)] for fmt, names in content["files"].items()
            if isinstance(fmt, str) and isinstance(names, list)}


def _ours(path: Path, fmt: str) -> bool:
    """Whether ``path`` is a file this format of the report could have written (see the module docstring)."""
    name = path.name
    if fmt == "html":
        stem = name[:-len(".html")] if name.endswith(".html") else ""
        if not (stem == "index" or is_safe_name(stem)):
            return False
    elif not _TABLE_NAME.fullmatch(name):
        return False
    if path.is_symlink() or not path.is_file():
        return False
    if fmt != "html":
        return True
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return GENERATOR_MARK in handle.read(4096)
    except OSError:
        return False


def prune_and_record(out_dir: Path, fmt: str, names: list[str], warn: Callable[[str], None]) -> list[Path]:
    """Remove the files the previous ``fmt`` run listed in the manifest and this run did not write again
    (``names``: the plain file names it wrote), then record ``names`` for ``fmt``; returns what was removed.

    A file that cannot be removed costs a ``warn`` line, not the report. Raises ``OutputError`` when the
    manifest cannot be written.
    """
    out = Path(out_dir)
    listed = _read(out)
    removed = []
    for name in listed.get(fmt, []):
        path = out / name
        if name in names or Path(name).name != name or not _ours(path, fmt):
            continue
        try:
            path.unlink()
            removed.append(path)
        except OSError as error:
            warn(f"{path}: cannot remove this stale page ({error.strerror or error})")
    listed[fmt] = sorted(set(names))
    text = json.dumps({"written_by": "irbench report", "files": listed}, indent=2, sort_keys=True)
    written(out, lambda: atomic_write_text(out / MANIFEST, text) or out / MANIFEST)
    return removed
