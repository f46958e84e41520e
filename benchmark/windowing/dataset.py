"""A PyTorch ``Dataset`` over a window index, streaming feature statistics, and batched prediction.

Windows are read from the feature cache when a batch asks for them (``__getitems__`` reads a whole batch),
so memory stays at a few batches whatever the dataset's size. The values and their order are those of the
windows laid end to end, so training on the dataset gives the same batches as training on the stacked array.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch

from irbench.features.reader import WindowReader
from irbench.windowing.index import WindowIndex


def already_batched(batch):
    """``collate_fn`` for :class:`WindowDataset`: its ``__getitems__`` returns finished batches."""
    return batch


class Windows(torch.utils.data.Dataset):
    """Windows with targets: item ``i`` is ``(window (n_features, window_frames), targets (n_classes,),
    mask (n_classes,))`` float32 tensors; ``__getitems__`` returns the same for a list of indices, stacked
    along a first batch axis (use ``collate_fn=already_batched``). Subclasses implement :meth:`windows` and
    set ``targets`` and ``mask`` ``(n_windows, n_classes)``."""

    targets: np.ndarray
    mask: np.ndarray
    resident_device: str | None = None
    """The device whose memory holds every window (batches are gathered there); ``None``: read on the host."""

    def windows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """``(len(rows), n_features, window_frames)`` float32 features of the given windows."""
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self.targets)

    def __getitems__(self, rows: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        rows = np.asarray(rows, dtype=np.int64)
        return (torch.from_numpy(self.windows(rows)), torch.from_numpy(self.targets[rows]),
                torch.from_numpy(self.mask[rows]))

    def __getitem__(self, row: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        window, targets, mask = self.__getitems__([row])
        return window[0], targets[0], mask[0]

    def batches(self, batch_size: int) -> Iterator[np.ndarray]:
        """Consecutive batches of windows ``(<= batch_size, n_features, window_frames)``, in index order."""
        for first in range(0, len(self), batch_size):
            yield self.windows(np.arange(first, min(first + batch_size, len(self))))

    def tensor_batches(self, batch_size: int, device: str | torch.device) -> Iterator[torch.Tensor]:
        """:meth:`batches` as tensors on ``device`` (pinned, copied without blocking on CUDA: :func:`to_device`)."""
        for batch in self.batches(batch_size):
            yield to_device(batch, device)

    @property
    def n_features(self) -> int:
        """Feature rows of a window."""
        return int(self.windows([0]).shape[1]) if len(self) else 0


def to_device(batch: np.ndarray | torch.Tensor, device: str | torch.device) -> torch.Tensor:
    """``batch`` as a tensor on ``device``. To CUDA a host batch is copied into pinned (page-locked) memory
    and sent with ``non_blocking=True``, so the copy overlaps the previous step's kernels (a later kernel on
    the same stream waits for it: the values are those of a blocking copy); elsewhere a plain ``.to``."""
    tensor = torch.from_numpy(batch) if isinstance(batch, np.ndarray) else batch
    if torch.device(device).type == "cuda":
        if tensor.device.type == "cpu":
            tensor = tensor.pin_memory()
        return tensor.to(device, non_blocking=True)
    return tensor.to(device)


class WindowDataset(Windows):
    """The windows of a :class:`~irbench.windowing.index.WindowIndex`, read from the feature cache by a
    :class:`~irbench.features.reader.WindowReader` when a batch asks for them."""

    def __init__(self, index: WindowIndex, reader: WindowReader):
        self.index, self.reader = index, reader
        self.targets, self.mask = index.targets, index.mask

    def windows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """``(len(rows), n_features, window_frames)`` float32 features of the given windows."""
        rows = np.asarray(rows, dtype=np.int64)
        index = self.index
        entries = [index.files[f] for f in index.file[rows]]
        return self.reader.batch(entries, index.start[rows], index.valid[rows], index.window_frames)

    @property
    def n_features(self) -> int:
        """Feature rows of a window (from the index; no read)."""
        return self.index.n_features


class ArrayWindows(Windows):
    """Windows held in memory: ``features`` ``(n_windows, n_features, window_frames)``, ``targets`` and
    ``mask`` ``(n_windows, n_classes)`` (all ones when ``None``); for small inputs (``irbench validate``,
    tests, predictions on one file)."""

    def __init__(self, features: np.ndarray, targets: np.ndarray, mask: np.ndarray | None = None):
        self.features = np.asarray(features, dtype=np.float32)
        self.targets = np.asarray(targets, dtype=np.float32)
        self.mask = np.ones_like(self.targets) if mask is None else np.asarray(mask, dtype=np.float32)

    def windows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """``(len(rows), n_features, window_frames)`` float32 copies of the given windows."""
        return self.features[np.asarray(rows, dtype=np.int64)]


def feature_statistics(dataset: Windows, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (population) standard deviation ``(n_features,)`` float32 of each feature row over every
    frame of every window, in one streaming pass (float64 accumulators, batches merged with Chan et al.'s
    parallel variance update, so no split-sized temporary is ever made)."""
    n_features = dataset.n_features
    count, mean, m2 = 0, np.zeros(n_features), np.zeros(n_features)
    for batch in dataset.batches(batch_size):
        values = batch.astype(np.float64).transpose(1, 0, 2).reshape(n_features, -1)
        n = values.shape[1]
        batch_mean = values.mean(axis=1)
        batch_m2 = ((values - batch_mean[:, None]) ** 2).sum(axis=1)
        delta = batch_mean - mean
        total = count + n
        mean = mean + delta * (n / total)
        m2 = m2 + batch_m2 + delta**2 * (count * n / total)
        count = total
    std = np.sqrt(m2 / count) if count else np.zeros(n_features)
    return mean.astype(np.float32), std.astype(np.float32)


def clip_window_scores(index: WindowIndex, window_scores: np.ndarray) -> list[np.ndarray]:
    """Split ``(n_windows, n_classes)`` window scores into one ``(n_windows_i, n_classes)`` array per clip."""
    if not len(index.clip_ids):
        return []
    return list(np.split(window_scores, np.cumsum(index.windows_per_clip)[:-1]))
