"""The window index of a split: which cached file, which frames, which clip, which targets, per window.

A split's windows are never materialised together: the index holds a few integers per window (IRMAS's 6,705
training clips give 6,705 rows; MusicNet's 34 hours about 80,000), and the ``Dataset`` in
:mod:`irbench.windowing.dataset` reads each window's frames from the cache when a batch asks for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from irbench.features.cache import CachedFeatures
from irbench.task import Clip
from irbench.windowing.layouts import LAYOUTS

SpanLabeller = Callable[[Clip, float, float], tuple[str, ...]]


@dataclass
class WindowIndex:
    """Model-input windows of one split, in clip order and, within a clip, in time order.

    Attributes
    ----------
    files: the cached feature files the windows read from.
    file: ``(n_windows,)`` int32, index into ``files``.
    start: ``(n_windows,)`` int64, first frame of the window in its file.
    valid: ``(n_windows,)`` int64, frames of the window inside its clip (``<= window_frames``); frames past
        them are padding (a clip shorter than one window), never the file's audio after the clip.
    clip: ``(n_windows,)`` int32, index of the window's clip in ``clip_ids``.
    targets, mask: ``(n_windows, n_classes)`` float32 multi-hot targets and annotation mask of each window.
    clip_ids: ``(n_clips,)`` identifiers, in the split's order.
    window_frames: frames per window (the model's input length).
    """

    files: list[CachedFeatures]
    file: np.ndarray
    start: np.ndarray
    valid: np.ndarray
    clip: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    clip_ids: list[str]
    window_frames: int

    def __len__(self) -> int:
        return len(self.start)

    @property
    def n_features(self) -> int:
        """Feature rows of every window (0 for an empty index)."""
        return self.files[0].n_features if self.files else 0

    @property
    def windows_per_clip(self) -> np.ndarray:
        """``(n_clips,)`` int64: windows of each clip (at least 1 each)."""
        return np.bincount(self.clip, minlength=len(self.clip_ids)).astype(np.int64)

    @property
    def padded(self) -> int:
        """Windows that extend past their clip's end (the clip is shorter than one window)."""
        return int((self.valid < self.window_frames).sum())


def clip_frames(clip: Clip, features: CachedFeatures, frames_per_second: float) -> tuple[int, int]:
    """``(first, end)`` frames of a clip in its file: the whole file, or its ``segment`` (seconds) rounded to
    frames at ``frames_per_second`` Hz and clipped to the file."""
    if clip.segment is None:
        return 0, features.frames
    first, end = (int(round(t * frames_per_second)) for t in clip.segment)
    return min(first, features.frames), min(max(end, first), features.frames)


def build_index(
    clips: Sequence[Clip], features: dict[Path, CachedFeatures], clip_targets: np.ndarray, clip_mask: np.ndarray,
    window_frames: int, frames_per_second: float, layout: str = "non-overlapping",
    labeller: SpanLabeller | None = None, labels: Sequence[str] = (),
) -> WindowIndex:
    """Index the windows of ``clips``.

    Parameters
    ----------
    clips: the split's clips; each clip's file must be in ``features``.
    features: path -> cached feature file (frames, feature rows, where the array lies).
    clip_targets, clip_mask: ``(n_clips, n_classes)`` float32 targets and mask of the clips.
    window_frames: the model's input length in frames.
    frames_per_second: the front end's frame rate in Hz (to turn segments into frames).
    layout: a name in :data:`irbench.windowing.layouts.LAYOUTS`.
    labeller: ``labeller(clip, start_seconds, end_seconds)`` -> the labels of exactly that span of the clip
        (MusicNet: from its notes); ``None`` gives every window its clip's targets.
    labels: class labels in target column order (needed with ``labeller``).

    Raises
    ------
    KeyError: a clip's file has no entry in ``features``.
    UnknownNameError: an unknown layout.
    """
    place = LAYOUTS.get(layout)
    file_of: dict[Path, int] = {}
    files: list[CachedFeatures] = []
    rows: list[tuple[int, np.ndarray, np.ndarray]] = []
    for number, clip in enumerate(clips):
        entry = features[clip.path]
        if clip.path not in file_of:
            file_of[clip.path] = len(files)
            files.append(entry)
        first, end = clip_frames(clip, entry, frames_per_second)
        starts = place(first, end, window_frames)
        valid = np.clip(end - starts, 0, window_frames)
        rows.append((file_of[clip.path], starts, valid))
    counts = np.array([len(starts) for _, starts, _ in rows], dtype=np.int64)
    if rows:
        file = np.repeat(np.array([f for f, _, _ in rows], dtype=np.int32), counts)
        start = np.concatenate([s for _, s, _ in rows])
        valid = np.concatenate([v for _, _, v in rows])
    else:
        file, start, valid = (np.zeros(0, dtype=t) for t in (np.int32, np.int64, np.int64))
    clip = np.repeat(np.arange(len(clips), dtype=np.int32), counts)
    targets = np.repeat(np.asarray(clip_targets, dtype=np.float32), counts, axis=0)
    mask = np.repeat(np.asarray(clip_mask, dtype=np.float32), counts, axis=0)
    if labeller is not None:
        column = {label: i for i, label in enumerate(labels)}
        targets[:] = 0.0
        for row, (number, first) in enumerate(zip(clip, start)):
            span = (first / frames_per_second, (first + valid[row]) / frames_per_second)
            for label in labeller(clips[number], *span):
                targets[row, column[label]] = 1.0
    return WindowIndex(files, file, start, valid, clip, targets, mask, [c.clip_id for c in clips], window_frames)
