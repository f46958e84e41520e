"""The marker that labels a data folder as an offline stand-in, so no result on it passes for real data.

``irbench data synth`` writes ``irbench-stand-in.json`` at the dataset root, last, once every file is in
place; loaders read it and every run record on that folder gets ``stand_in: true``.
"""

from __future__ import annotations

import json
from pathlib import Path

from irbench.errors import DatasetLayoutError

STAND_IN_MARKER = "irbench-stand-in.json"


def read_stand_in_marker(data_home: Path) -> dict[str, object] | None:
    """The generator settings stored in the marker, or ``None`` for real data.

    Raises
    ------
    DatasetLayoutError: the marker exists but is not valid JSON.
    """
    path = Path(data_home) / STAND_IN_MARKER
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise DatasetLayoutError(path, f"unreadable stand-in marker ({error})") from error
