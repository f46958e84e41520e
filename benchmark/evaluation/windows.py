"""Cutting a clip's features into the model's input windows."""

from __future__ import annotations

import numpy as np


def first_window(features: np.ndarray, window_frames: int, pad_value: float) -> np.ndarray:
    """The first ``window_frames`` frames of a clip, padded with ``pad_value`` when shorter.

    This is how IRMAS_Deep_Learning (VGG on IRMAS) fed a training clip: zero-pad the audio, keep the first frames.

    Parameters
    ----------
    features: ``(n_features, frames)`` array, e.g. a log-mel spectrogram.
    window_frames: frames per window (the model's input length).
    pad_value: feature value of silence (the log floor of the front end).

    Returns
    -------
    ``(n_features, window_frames)`` float32 array.
    """
    out = np.full((features.shape[0], window_frames), pad_value, dtype=np.float32)
    n = min(window_frames, features.shape[1])
    out[:, :n] = features[:, :n]
    return out


def non_overlapping_windows(features: np.ndarray, window_frames: int, pad_value: float) -> np.ndarray:
    """Cut a clip into consecutive, non-overlapping windows (Han, Kim, Lee 2017, IRMAS test protocol).

    A trailing remainder shorter than a window is dropped; a clip shorter than one window gives one window
    padded with ``pad_value``, so every clip yields at least one window and no clip is ever dropped.

    Parameters
    ----------
    features: ``(n_features, frames)`` array.
    window_frames: frames per window.
    pad_value: feature value used for padding.

    Returns
    -------
    ``(n_windows, n_features, window_frames)`` float32 array with ``n_windows >= 1``.
    """
    n_windows = features.shape[1] // window_frames
    if n_windows == 0:
        return first_window(features, window_frames, pad_value)[None]
    used = np.asarray(features[:, : n_windows * window_frames], dtype=np.float32)
    return np.ascontiguousarray(
        used.reshape(features.shape[0], n_windows, window_frames).transpose(1, 0, 2)
    )
