"""Checking a dataset folder or downloaded weights against their declaration.

For a task: the expected files come from the task's own loader (file names, label files, partitions,
metadata); the full dataset's counts, audio format and clip durations from its dataset card
(:class:`irbench.data.datasets.DatasetCard`; a clip more than the task's tolerance shorter than documented is
reported as truncated); checksums from the card's sources (mirdata's ``validate`` against its index in
``data_home/mirdata_indexes/`` or ``--index``; the published checksums of files kept after a pooch download).
A stand-in is never compared with real checksums. For weights (``cnn14-weights``): the file in
``<cache>/weights/`` against its published size and checksum.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import soundfile

from irbench.data.datasets import AudioFormat
from irbench.errors import DatasetLayoutError, IrbenchError
from irbench.data.resources import ChecksumResult
from irbench.tasks import get_task

AUDIO_SUFFIXES = (".wav", ".ogg", ".flac", ".mp3", ".aif", ".aiff")


@dataclass
class VerifyReport:
    """What ``verify`` found: files present, listed but absent, and present but wrong (with the reason).

    ``checksummed`` counts the files whose checksum was compared, against ``checksum_reference``.
    """

    task: str
    data_home: Path
    expected: int | None
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    corrupt: list[tuple[str, str]] = field(default_factory=list)
    checksummed: int = 0
    stand_in: bool = False
    checksum_reference: str | None = None

    @property
    def shortfall(self) -> int:
        """Audio files short of the full dataset's count beyond those listed as missing (real data only)."""
        if self.expected is None or self.stand_in:
            return 0
        missing_audio = sum(name.lower().endswith(AUDIO_SUFFIXES) for name in self.missing)
        corrupt_audio = sum(name.lower().endswith(AUDIO_SUFFIXES) for name, _ in self.corrupt)
        return max(0, self.expected - len(self.found) - corrupt_audio - missing_audio)

    def ok(self, allow_missing: bool) -> bool:
        """No corrupt file, and unless ``allow_missing`` nothing missing and no shortfall."""
        return not self.corrupt and (allow_missing or not (self.missing or self.shortfall))

    def add_checksums(self, result: ChecksumResult) -> None:
        """Merge a source's checksum comparison: differing files become corrupt (once each), absent ones
        missing."""
        self.checksummed += len(result.checked)
        self.checksum_reference = ", ".join(filter(None, (self.checksum_reference, result.reference)))
        corrupt = {name for name, _ in self.corrupt}
        for name, reason in result.invalid:
            if name in corrupt:
                continue
            if name in self.found:
                self.found.remove(name)
            self.corrupt.append((name, reason))
        listed = set(self.missing)
        self.missing += [name for name in result.missing if name not in listed]


def verify(name: str, data_home: Path | None = None, index: Path | None = None,
           cache_dir: Path | None = None) -> VerifyReport:
    """Check ``name``: a task's dataset at ``data_home``, or downloaded weights in ``<cache_dir>/weights``.
    Never raises for a bad file, lists it instead.

    Raises
    ------
    DataNotFoundError: nothing at ``data_home`` that the task can read.
    IrbenchError: an unreadable index, ``--index`` for a dataset without one, a missing ``data_home``.
    UnknownNameError: neither a task nor weights.
    """
    from irbench.data import weights
    from irbench.data.download import require_known, resolve

    require_known(name)
    if name in weights.WEIGHTS:
        target = resolve(name, None, cache_dir)
        return _verify_files(target.name, target.destination, target.sources)
    if data_home is None:
        raise IrbenchError(f"{name} is a dataset: say where it is with --data-home")
    return verify_dataset(name, data_home, index)


def verify_dataset(task_name: str, data_home: Path, index: Path | None = None) -> VerifyReport:
    """Check the dataset of ``task_name`` at ``data_home`` (see :func:`verify`)."""
    data_home = Path(data_home).expanduser().resolve()
    task = get_task(task_name)
    card = task.metadata.card
    sources = card.sources if card is not None else ()
    if index is not None and not any(source.uses_index for source in sources):
        raise IrbenchError(f"{task_name}'s dataset has no checksum index: --index does not apply")
    report = VerifyReport(task_name, data_home, card.expected_files if card is not None else None)
    try:
        data = task.load(data_home, allow_missing=True)
    except DatasetLayoutError as error:
        report.corrupt.append((str(error.path), str(error)))
        return report
    report.missing, report.stand_in = list(data.missing), data.stand_in
    audio = card.audio if card is not None else AudioFormat()
    shortest: dict[Path, tuple[float, str]] = {}
    for split, clips in data.splits.items():
        limit = task.shortest_allowed_seconds(split)
        for clip in clips:
            if limit is not None and clip.segment is None:
                shortest[clip.path] = (limit, f"{split} clips are {task.documented_duration(split)}")
    files = sorted({clip.path for split in data.splits.values() for clip in split})
    for path in files:
        relative = path.relative_to(data_home).as_posix()
        problem = _audio_problem(path, audio, shortest.get(path))
        (report.corrupt.append((relative, problem)) if problem else report.found.append(relative))
    if not report.stand_in:  # a stand-in's files never match the real dataset's checksums
        for source in sources:
            result = source.check(data_home, index if source.uses_index else None)
            if result is not None:
                report.add_checksums(result)
    return report


def _verify_files(name: str, folder: Path, sources) -> VerifyReport:
    report = VerifyReport(name, folder.expanduser().resolve(), expected=None)
    for source in sources:
        result = source.check(folder)
        if result is not None:
            report.add_checksums(result)
            report.found += [f for f in result.checked if f not in {n for n, _ in report.corrupt}]
    return report


def _audio_problem(path: Path, audio: AudioFormat, shortest: tuple[float, str] | None = None) -> str | None:
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError) as error:
        return f"unreadable audio ({error})"
    if shortest is not None and info.duration < shortest[0]:
        return f"{info.duration:.3f} s ({info.frames} samples) but {shortest[1]}: truncated"
    if audio.sample_rate and info.samplerate != audio.sample_rate:
        return f"sample rate {info.samplerate} Hz, expected {audio.sample_rate} Hz"
    if audio.channels and info.channels != audio.channels:
        return f"{info.channels} channel(s), expected {audio.channels}"
    if audio.frames and info.frames != audio.frames:
        return f"{info.frames} samples, expected {audio.frames}"
    if info.frames == 0:
        return "no audio samples"
    return None
