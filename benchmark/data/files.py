"""Finding a dataset's files on disk the way users' copies of them are named."""

from __future__ import annotations

from pathlib import Path


def audio_files(folder: Path, pattern: str, suffix: str) -> list[Path]:
    """Paths under ``folder`` matching the glob ``pattern`` (``"*/*"``) whose extension is ``suffix``
    (``".wav"``) in any letter case (``.WAV`` and ``.Wav`` too: files copied from Windows or macOS), sorted.

    For files named in lower case this is ``sorted(folder.glob(pattern + suffix))``. Raises nothing; a
    missing folder gives an empty list."""
    wanted = suffix.lower()
    return sorted(path for path in Path(folder).glob(pattern) if path.suffix.lower() == wanted)
