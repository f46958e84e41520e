"""Where a clip's model-input windows start, by layout name (a registry; tasks name theirs in metadata).

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
