"""Reading dataset CSV files with errors that name the file and the line."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from irbench.errors import DatasetLayoutError


def read_rows(path: Path, required: tuple[str, ...], alternatives: dict[str, tuple[str, ...]] | None = None,
              ) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line number, row)`` for each data row of a CSV with a header (line 1).

    Parameters
    ----------
    required: columns that must be present.
    alternatives: canonical name -> accepted header names; the row is returned under the canonical name
        (Medley-solos-DB's ``song_id`` was ``track_id`` in an older release).

    Raises
    ------
    DatasetLayoutError: the file is missing or unreadable, or a required column is absent.
    """
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as error:
        raise DatasetLayoutError(path, f"cannot open ({error.strerror or error})") from error
    with handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in (reader.fieldnames or [])]
        rename: dict[str, str] = {}
        for canonical, names in (alternatives or {}).items():
            found = next((n for n in names if n in header), None)
            if found is None:
                raise DatasetLayoutError(path, f"no column {' or '.join(names)} in the header", line=1)
            rename[found] = canonical
        missing = [c for c in required if c not in header]
        if missing:
            raise DatasetLayoutError(path, f"missing column(s) {', '.join(missing)} in the header", line=1)
        for row in reader:
            clean = {rename.get((k or "").strip(), (k or "").strip()): (v or "").strip()
                     for k, v in row.items() if k is not None}
            yield reader.line_num, clean


def read_lines(path: Path) -> list[tuple[int, str]]:
    """Non-empty stripped lines with their numbers (header-less lists such as OpenMIC partitions).

    Raises ``DatasetLayoutError`` when the file is missing or unreadable.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise DatasetLayoutError(path, f"cannot open ({error.strerror or error})") from error
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
