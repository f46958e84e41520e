"""Where a clip's model-input windows start, by layout name (a registry; tasks name theirs in metadata), and
the windows themselves cut from an in-memory feature array.

This is irbench's one implementation of window placement: training and evaluation place windows with it
(:func:`irbench.windowing.index.build_index`), ``irbench predict`` too (through
:func:`irbench.streaming.stream_windows`), and :func:`layout_windows` cuts them from an array for
``irbench validate`` and tests.

- ``non-overlapping``: consecutive windows from the clip's first frame; a trailing remainder shorter than a
  window is dropped; a clip shorter than one window gives one window padded past its end. This is Han, Kim
  and Lee's IRMAS test protocol (IEEE/ACM TASLP 25(1), 2017), and irbench's training windows everywhere.
- ``covering``: the fewest windows that cover the whole clip, evenly spaced from its first frame to its last
  (neighbours overlap when the clip is not a multiple of the window). Used where labels describe a span
  exactly (MusicNet's 3-s windows): no part of the span goes unseen, and no window reaches past it.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from irbench.registry import Registry

Layout = Callable[[int, int, int], np.ndarray]
LAYOUTS: Registry[Layout] = Registry("window layout")


@LAYOUTS.register("non-overlapping")
def non_overlapping(start: int, end: int, window: int) -> np.ndarray:
    """First frames ``(n_windows >= 1,)`` int64 of consecutive windows of ``window`` frames in ``[start, end)``."""
    count = (end - start) // window
    if count <= 0:
        return np.array([start], dtype=np.int64)
    return start + np.arange(count, dtype=np.int64) * window


@LAYOUTS.register("covering")
def covering(start: int, end: int, window: int) -> np.ndarray:
    """First frames ``(n_windows >= 1,)`` int64 of the fewest evenly spaced windows covering ``[start, end)``."""
    span = end - start
    if span <= window:
        return np.array([start], dtype=np.int64)
    count = math.ceil(span / window)
    return start + np.round(np.arange(count) * (span - window) / (count - 1)).astype(np.int64)


def place_windows(layout: str, start: int, end: int, window: int) -> tuple[np.ndarray, np.ndarray]:
    """``(starts, valid)``, both ``(n_windows >= 1,)`` int64, of the windows of a clip spanning frames
    ``[start, end)``: each window's first frame, and how many of its ``window`` frames lie inside the clip
    (the rest is padding: a clip shorter than one window).

    Raises ``UnknownNameError`` for a layout not in :data:`LAYOUTS`."""
    starts = LAYOUTS.get(layout)(int(start), int(end), int(window))
    return starts, np.clip(int(end) - starts, 0, int(window)).astype(np.int64)


def layout_windows(features: np.ndarray, window: int, pad_value: float, layout: str = "non-overlapping",
                   span: tuple[int, int] | None = None) -> np.ndarray:
    """The windows of one clip cut from its features, as the window index reads them from the cache.

    Parameters
    ----------
    features: ``(n_features, frames)`` array, e.g. a log-mel spectrogram.
    window: frames per window (the model's input length).
    pad_value: feature value of silence (the front end's log floor), for frames past the clip's end.
    layout: a name in :data:`LAYOUTS`.
    span: ``(first, end)`` frames of the clip within ``features``; ``None`` is all of it.

    Returns
    -------
    ``(n_windows >= 1, n_features, window)`` float32 array.

    Raises
    ------
    UnknownNameError: an unknown layout.
    ValueError: ``features`` is not two-dimensional.
    """
    features = np.asarray(features)
    if features.ndim != 2:
        raise ValueError(f"features must be (n_features, frames), not of shape {features.shape}")
    first, end = span if span is not None else (0, features.shape[1])
    starts, valid = place_windows(layout, first, min(end, features.shape[1]), window)
    out = np.full((len(starts), features.shape[0], window), pad_value, dtype=np.float32)
    for row, (start, count) in enumerate(zip(starts, valid)):
        out[row, :, :count] = features[:, start:start + count]
    return out
