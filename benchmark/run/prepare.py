"""What a run needs before training, done once for every seed of a task x baseline: load the task's clips,
hash the audio, compute or check the features, refuse truncated files, index the windows of each split and
compute the training windows' statistics.

Nothing here holds a split's features in memory: the training and validation windows are packed once into
one memory-mapped file per split (:mod:`irbench.features.packed`, reused by every seed and run of the same
data), the test windows are streamed from the cache by the reader (see :mod:`irbench.windowing`).
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile

from irbench.errors import AudioDecodeError, DataNotFoundError
from irbench.features import frontend_grid
from irbench.features.base import FrameGrid
from irbench.features.cache import AudioDuration, CachedFeatures, frontend_key
from irbench.features.extract import ExtractedFeatures, HashedAudio, batch_device, extract_features, hash_audio
from irbench.features.packed import PackedWindows, pack_split
from irbench.features.reader import WindowReader
from irbench.run.provenance import dataset_fingerprint
from irbench.task import Clip, Task, TaskData
from irbench.windowing.dataset import WindowDataset, feature_statistics
from irbench.windowing.index import WindowIndex, build_index

SPLITS = ("train", "validation", "test")
PACKED_SPLITS = ("train", "validation")
"""Splits whose windows are packed (read every epoch); the test split is read once per seed, from the cache."""
LOG = logging.getLogger(__name__)


class Stages:
    """Seconds spent per named stage, in the order the stages ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        """Time the block as stage ``name`` (added to what the stage already spent)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - start, 3)


@dataclass
class PreparedData:
    """A task's data ready for training any seed of one baseline.

    Attributes
    ----------
    data: the task's clips as loaded (before bad files were dropped).
    splits: split -> clips that have verified features, in the loader's order.
    indexes: split -> the window index of those clips.
    reader: reads windows from the cache (a bounded number of open files).
    features: the feature stage's outcome (hashes, entries, what was computed or repaired).
    fingerprint: SHA-256 over the loaded clips' ids and audio hashes (:func:`audio_fingerprint`; files left
        out for being unreadable or truncated still count: the record lists them in ``skipped``).
    class_priors: ``(n_classes,)`` share of positive training windows per class over annotated pairs.
    feature_mean, feature_std: ``(n_features,)`` statistics of every frame of the training windows.
    skipped: ``{"file", "reason"}`` of files left out (unreadable, truncated, missing with ``--skip-bad``).
    seconds: seconds per preparation stage.
    packed: split -> its packed store (training and validation splits with windows, when the model reads
        features).
    """

    data: TaskData
    splits: dict[str, list[Clip]]
    indexes: dict[str, WindowIndex]
    reader: WindowReader
    features: ExtractedFeatures
    fingerprint: str
    class_priors: np.ndarray
    feature_mean: np.ndarray
    feature_std: np.ndarray
    skipped: list[dict[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    packed: dict[str, PackedWindows] = field(default_factory=dict)

    def dataset(self, split: str) -> PackedWindows | WindowDataset:
        """The windows of ``split`` as a torch ``Dataset``: its pack when it has one, else read from the cache
        (the same values either way)."""
        packed = self.packed.get(split)
        return packed if packed is not None else WindowDataset(self.indexes[split], self.reader)

    def window_summary(self, window_seconds: float) -> dict[str, object]:
        """Windows per split and how many extend past a clip too short for one window, for the record."""
        first = next(iter(self.indexes.values()))
        return {
            "window_frames": first.window_frames, "window_seconds": round(window_seconds, 4),
            "windows": {name: len(index) for name, index in self.indexes.items()},
            "padded_windows": {name: index.padded for name, index in self.indexes.items()},
        }


def truncated(task: Task, splits: dict[str, list[Clip]], extracted: ExtractedFeatures) -> dict[Path, str]:
    """Files clearly shorter than their dataset documents: path -> reason naming length and expectation."""
    found: dict[Path, str] = {}
    for split, clips in splits.items():
        limit = task.shortest_allowed_seconds(split)
        if limit is None:
            continue
        expected = task.documented_duration(split)
        for clip in clips:
            entry = extracted.entries.get(clip.path)
            if entry is not None and entry.duration.seconds < limit:
                found[clip.path] = (
                    f"{entry.duration.seconds:.3f} s ({entry.duration.samples} samples at "
                    f"{entry.duration.sample_rate} Hz), but {task.metadata.dataset} {split} clips are {expected}; "
                    f"the file looks truncated (tolerance {task.metadata.duration_tolerance:.0%})"
                )
    return found


def headers_only(files: list[Path], hashed: HashedAudio, skip_bad: bool) -> ExtractedFeatures:
    """Placeholder features for a model that reads none (the constant predictor): each file's duration from
    its header (so truncated files are still refused) and zero frames, so that every clip gets one window of
    padding and nothing is computed or cached.

    Raises ``AudioDecodeError`` for an unreadable header unless ``skip_bad``."""
    entries, skipped = {}, []
    for path in files:
        problem = hashed.problems.get(path)
        if problem is None:
            try:
                info = soundfile.info(str(path))
                duration = AudioDuration(info.frames / info.samplerate, info.frames, info.samplerate)
                entries[path] = CachedFeatures(path, 0, 0, 1, duration, "")
                continue
            except (soundfile.LibsndfileError, RuntimeError) as error:
                problem = f"unreadable audio header ({error})"
        if not skip_bad:
            raise AudioDecodeError(path, problem)
        skipped.append((path, problem))
    return ExtractedFeatures(entries, hashed.digests, skipped, hashed=hashed.hashed,
                             seconds={"hash": hashed.seconds})


def audio_fingerprint(data: TaskData, hashed: HashedAudio) -> str:
    """The dataset fingerprint of loaded clips: SHA-256 over ``clip_id:audio hash`` of every clip whose file
    could be read (see ``provenance.dataset_fingerprint``); known after hashing, before any feature."""
    return dataset_fingerprint({c.clip_id: hashed.digests[c.path] for clips in data.splits.values() for c in clips
                                if c.path in hashed.digests})


def prepare(
    task: Task, data: TaskData, frontend_name: str | None, frontend_config: dict | None, window_frames: int,
    cache_dir: Path,
    workers: int, skip_bad: bool, show_progress: bool, stages: Stages,
    hashed: HashedAudio | None = None, device: str = "cpu",
) -> PreparedData:
    """Features, checks, window indexes and statistics of ``data`` for one front end and window length.

    Parameters
    ----------
    task, data: the task and its loaded clips.
    frontend_name, frontend_config: the baseline's front end (registered name, ``model_dump()``); ``None``
        for a model that reads no feature (see :func:`headers_only`).
    window_frames: the baseline's input length in frames.
    cache_dir: the feature cache (``--cache-dir``).
    workers: processes for computing missing features (threads for hashing and checking).
    skip_bad: leave out unreadable or truncated files (listed in ``skipped``) instead of raising.
    stages: collects seconds per stage (``features.hash``, ``features.extract``, ``features.verify``,
        ``index`` (which includes writing or verifying the packs), ``statistics``).
    hashed: the audio's hashes when the caller already has them (:func:`irbench.features.extract.hash_audio`).
    device: the run's torch device; on CUDA, built-in torch front ends compute missing features there in
        batches of files (:func:`irbench.features.extract.batch_device`), cached and packed apart from CPU
        features; elsewhere the per-file worker path.

    Raises
    ------
    AudioDecodeError: an unreadable or truncated file (unless ``skip_bad``), naming it.
    DataNotFoundError: no training or test clip left.
    """
    files = sorted({clip.path for clips in data.splits.values() for clip in clips})
    on_device = batch_device(device)  # CUDA, else None: the per-file worker path
    lenient = skip_bad or task.metadata.skips_corrupt_audio
    hashed = hashed or hash_audio(files, cache_dir, data.data_home, workers)
    if frontend_name is None:  # a model that reads no feature: audio headers only
        extracted = headers_only(files, hashed, lenient)
    else:
        extracted = extract_features(files, frontend_name, frontend_config, cache_dir, workers, lenient,
                                     show_progress, data.data_home, hashed, batch_on=on_device)
    for name, value in extracted.seconds.items():
        stages.seconds[f"features.{name}"] = value
    for message in extracted.repaired:
        LOG.warning("repaired a damaged cache entry: %s", message)
    bad = truncated(task, data.splits, extracted)
    if bad and not lenient:
        path, reason = next(iter(bad.items()))
        more = f" ({len(bad) - 1} more such files)" if len(bad) > 1 else ""
        raise AudioDecodeError(path, f"{reason}{more}. Replace it, or leave such files out with --skip-bad")
    skipped = [{"file": str(p), "reason": r} for p, r in extracted.skipped]
    skipped += [{"file": str(p), "reason": r} for p, r in bad.items()]
    skipped += [{"file": f, "reason": "missing"} for f in data.missing]
    splits = {name: [c for c in data.splits[name] if c.path in extracted.entries and c.path not in bad]
              for name in SPLITS}
    if not splits["train"] or not splits["test"]:
        raise DataNotFoundError(f"no readable training or test clip left under {data.data_home}")
    fingerprint = audio_fingerprint(data, hashed)
    grid = frontend_grid(frontend_name, frontend_config) if frontend_name is not None else FrameGrid(1, 1, 0.0)
    # A model that reads no feature has one placeholder window per clip and no frame grid, so a span
    # labeller would label an empty span: its windows take their clip's labels instead (for MusicNet, the
    # 3-s window's labels from its notes), and the class priors are the training clips' prevalences.
    labeller = data.span_labeller if frontend_name is not None else None
    with stages("index"):
        indexes = {
            name: build_index(
                clips, extracted.entries, task.targets(clips), task.mask(clips), window_frames,
                grid.frames_per_second, task.metadata.window_layout, labeller, task.metadata.labels)
            for name, clips in splits.items()
        }
        reader = WindowReader(grid.pad_value)
        packed = {}
        if frontend_name is not None:
            key = frontend_key(frontend_name, frontend_config, on_device.type if on_device is not None else "cpu")
            packed = {name: pack_split(cache_dir, key, name, indexes[name], reader) for name in PACKED_SPLITS
                      if len(indexes[name])}
    for name, index in indexes.items():
        if index.padded and frontend_name is not None:
            LOG.info(f"{index.padded} {name} window(s) come from clips shorter than the model's "
                f"{window_frames / grid.frames_per_second:.2f}-s window and are padded with silence")
    with stages("statistics"):
        train = indexes["train"]
        observed = train.mask.sum(axis=0)
        priors = np.divide((train.targets * train.mask).sum(axis=0), observed, out=np.zeros_like(observed),
                           where=observed > 0)
        mean, std = feature_statistics(packed["train"] if "train" in packed else WindowDataset(train, reader))
    return PreparedData(data, splits, indexes, reader, extracted, fingerprint, priors, mean, std, skipped,
                        dict(stages.seconds), packed)
