"""Reading model-input windows from cached feature files, with a bounded number of open files.

Each window is one contiguous byte range of a time-major cache entry and is read with one ``os.pread``:
no memory map (a map keeps a descriptor per file and counts its pages into the process's resident memory),
no header parsing per read (the offset comes from the entry's verified header). At most ``max_open`` files
are open at once, least recently used closed first, so a split of 20,000 files runs under ``ulimit -n 256``.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

from irbench.errors import IrbenchError
from irbench.features.cache import DTYPE, CachedFeatures

DEFAULT_MAX_OPEN = 32


class WindowReader:
    """Reads ``(n_features, window_frames)`` float32 windows from cache entries.

    Parameters
    ----------
    pad_value: feature value of silence, used for frames past a clip's end (the front end's log floor).
    max_open: most files held open at once (at least 1).

    The reader is used from one process at a time (its descriptors are not shared across a fork).
    """

    def __init__(self, pad_value: float, max_open: int = DEFAULT_MAX_OPEN):
        self.pad_value = float(pad_value)
        self.max_open = max(1, int(max_open))
        self._open: OrderedDict[str, int] = OrderedDict()

    def _descriptor(self, entry: CachedFeatures) -> int:
        key = str(entry.path)
        descriptor = self._open.get(key)
        if descriptor is not None:
            self._open.move_to_end(key)
            return descriptor
        while len(self._open) >= self.max_open:
            _, oldest = self._open.popitem(last=False)
            os.close(oldest)
        try:
            descriptor = os.open(key, os.O_RDONLY)
        except OSError as error:
            raise IrbenchError(f"cannot open cached features {key}: {error.strerror}; remove the cache folder's "
                               "entry (`irbench cache clear`) and run again") from error
        self._open[key] = descriptor
        return descriptor

    def read_into(self, out: np.ndarray, entry: CachedFeatures, start: int, valid: int) -> None:
        """Fill ``out`` ``(window_frames, n_features)`` with frames ``start .. start + valid`` of ``entry``,
        then ``pad_value``.

        Raises ``IrbenchError`` when the file ends early (it changed after it was verified)."""
        row_bytes = entry.n_features * DTYPE.itemsize
        valid = max(0, min(valid, out.shape[0], entry.frames - start))
        if valid:
            wanted = valid * row_bytes
            data = os.pread(self._descriptor(entry), wanted, entry.offset + start * row_bytes)
            if len(data) != wanted:
                raise IrbenchError(f"cached features {entry.path} ended early (read {len(data)} of {wanted} "
                                   "bytes); it changed during the run")
            out[:valid] = np.frombuffer(data, dtype=DTYPE).reshape(valid, entry.n_features)
        out[valid:] = self.pad_value

    def batch(self, entries: Sequence[CachedFeatures], starts: Sequence[int], valids: Sequence[int],
              window_frames: int) -> np.ndarray:
        """Windows ``(len(starts), n_features, window_frames)`` float32, one per (entry, start, valid)."""
        n_features = entries[0].n_features if len(entries) else 0
        time_major = np.empty((len(starts), window_frames, n_features), dtype=DTYPE)
        for row, (entry, start, valid) in enumerate(zip(entries, starts, valids)):
            self.read_into(time_major[row], entry, int(start), int(valid))
        return np.ascontiguousarray(time_major.transpose(0, 2, 1))

    def close(self) -> None:
        """Close every open file."""
        while self._open:
            os.close(self._open.popitem()[1])

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass

    def __getstate__(self) -> dict:  # a copy in another process opens its own files
        return {"pad_value": self.pad_value, "max_open": self.max_open, "_open": OrderedDict()}
