"""Compatibility names for cutting a clip's features into windows; window placement itself lives in
:mod:`irbench.windowing.layouts` (:func:`~irbench.windowing.layouts.layout_windows`), its one implementation.
"""

from __future__ import annotations

import numpy as np

from irbench.windowing.layouts import layout_windows


def first_window(features: np.ndarray, window_frames: int, pad_value: float) -> np.ndarray:
    """The first window of the ``non-overlapping`` layout: ``(n_features, window_frames)`` float32, the first
    ``window_frames`` frames of ``features`` ``(n_features, frames)``, padded with ``pad_value`` when shorter
    (how IRMAS_Deep_Learning fed a training clip). Raises ``ValueError`` unless ``features`` is 2-D."""
    return layout_windows(features, window_frames, pad_value, "non-overlapping")[0]


def non_overlapping_windows(features: np.ndarray, window_frames: int, pad_value: float) -> np.ndarray:
    """The ``non-overlapping`` layout's windows (Han, Kim, Lee 2017): ``(n_windows >= 1, n_features,
    window_frames)`` float32 from ``features`` ``(n_features, frames)``; see
    :func:`irbench.windowing.layouts.layout_windows`. Raises ``ValueError`` unless ``features`` is 2-D."""
    return layout_windows(features, window_frames, pad_value, "non-overlapping")
