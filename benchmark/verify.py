"""Checking a dataset folder: layout, counts, audio headers and (where an index is at hand) MD5 checksums.

The expected files come from the task's own loader (file names, label files, partitions, metadata), the
full-dataset counts and clip durations from the dataset's documentation (a clip more than the task's
tolerance shorter than documented is reported as truncated), and checksums from mirdata's index for the dataset
(``data_home/mirdata_indexes/``, written by ``irbench data download``, or ``--index``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import soundfile

from irbench.errors import DatasetLayoutError, IrbenchError
from irbench.hashing import file_digest
from irbench.tasks import get_task

# Full-dataset sizes (audio files) and audio format: sample rate (Hz), channels, frames (None: any).
EXPECTED = {
    "irmas": (9579, 44_100, 2, None),
    "openmic": (20_000, None, None, None),
    "medley-solos": (21_571, 44_100, 1, 131_072),
    "medley-solos-binary": (None, 44_100, 1, 131_072),
    "musicnet": (330, 44_100, 1, None),
    "musicnet-instruments": (330, 44_100, 1, None),
}
INDEX_FILES = {"irmas": "irmas_index_1.0.json", "openmic": "openmic2018_index_1.0.json",
               "medley-solos": "medley_solos_db_index_1.2.json", "medley-solos-binary": "medley_solos_db_index_1.2.json"}


@dataclass
class VerifyReport:
    """What ``verify`` found: files present, listed but absent, and present but wrong (with the reason)."""

    task: str
    data_home: Path
    expected: int | None
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    corrupt: list[tuple[str, str]] = field(default_factory=list)
    checksummed: int = 0
    stand_in: bool = False

    @property
    def shortfall(self) -> int:
        """Audio files short of the full dataset's count beyond those listed as missing (real data only)."""
        if self.expected is None or self.stand_in:
            return 0
        return max(0, self.expected - len(self.found) - len(self.corrupt) - len(self.missing))

    def ok(self, allow_missing: bool) -> bool:
        """No corrupt file, and unless ``allow_missing`` nothing missing and no shortfall."""
        return not self.corrupt and (allow_missing or not (self.missing or self.shortfall))


def read_index(path: Path) -> dict[str, str]:
    """A mirdata index JSON -> {relative path: md5} over every track's files.

    Raises ``IrbenchError`` naming the file when it is not a mirdata index."""
    try:
        tracks = json.loads(Path(path).read_text())["tracks"]
        return {entry[0]: entry[1] for track in tracks.values() for entry in track.values()
                if isinstance(entry, list) and entry and entry[0]}
    except (OSError, json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
        raise IrbenchError(f"{path} is not a readable mirdata index ({error})") from error


def verify(task_name: str, data_home: Path, index: Path | None = None) -> VerifyReport:
    """Check ``data_home`` for ``task_name``; never raises for a bad file, lists it instead.

    Raises
    ------
    DataNotFoundError: nothing at ``data_home`` that the task can read.
    IrbenchError: an unreadable index.
    """
    data_home = Path(data_home).expanduser().resolve()
    task = get_task(task_name)
    expected, rate, channels, frames = EXPECTED.get(task_name, (None, None, None, None))
    report = VerifyReport(task_name, data_home, expected)
    try:
        data = task.load(data_home, allow_missing=True)
    except DatasetLayoutError as error:
        report.corrupt.append((str(error.path), str(error)))
        return report
    report.missing, report.stand_in = list(data.missing), data.stand_in
    shortest: dict[Path, tuple[float, str]] = {}
    for split, clips in data.splits.items():
        limit = task.shortest_allowed_seconds(split)
        for clip in clips:
            if limit is not None and clip.segment is None:
                shortest[clip.path] = (limit, f"{split} clips are {task.documented_duration(split)}")
    files = sorted({clip.path for split in data.splits.values() for clip in split})
    for path in files:
        relative = path.relative_to(data_home).as_posix()
        problem = _audio_problem(path, rate, channels, frames, shortest.get(path))
        (report.corrupt.append((relative, problem)) if problem else report.found.append(relative))
    index_path = index or (data_home / "mirdata_indexes" / INDEX_FILES[task_name] if task_name in INDEX_FILES else None)
    if index_path is not None and Path(index_path).exists():
        checksums = read_index(Path(index_path))
        present = set(report.found)
        for relative, md5 in checksums.items():
            if relative in present:
                report.checksummed += 1
                if file_digest(data_home / relative, "md5") != md5:
                    report.found.remove(relative)
                    report.corrupt.append((relative, f"MD5 differs from the index ({md5})"))
            elif relative.endswith((".wav", ".ogg")) and not (data_home / relative).exists():
                if relative not in report.missing:
                    report.missing.append(relative)
    return report


def _audio_problem(path: Path, rate: int | None, channels: int | None, frames: int | None,
                   shortest: tuple[float, str] | None = None) -> str | None:
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError) as error:
        return f"unreadable audio ({error})"
    if shortest is not None and info.duration < shortest[0]:
        return f"{info.duration:.3f} s ({info.frames} samples) but {shortest[1]}: truncated"
    if rate and info.samplerate != rate:
        return f"sample rate {info.samplerate} Hz, expected {rate} Hz"
    if channels and info.channels != channels:
        return f"{info.channels} channel(s), expected {channels}"
    if frames and info.frames != frames:
        return f"{info.frames} samples, expected {frames}"
    if info.frames == 0:
        return "no audio samples"
    return None
