"""A packed window store per split: every model-input window of a split written once into one memory-mapped
array, read by slicing, and moved to the device once when it fits a stated budget.

The per-file reader (:mod:`irbench.features.reader`) costs one ``pread`` per window in the training process;
the packed store costs one fancy index per batch into a memory map (the HEAR/MTEB pattern: one array per
split plus an index). The window index (:class:`~irbench.windowing.index.WindowIndex`) *is* the pack's
index: row ``i`` of the pack is window ``i`` of the index, with the same values the reader gives
(padding included), so training on either gives bit-identical batches.

On disk, under ``CACHE_DIR/packed/<front end key>/``:

- ``<split>-<key>.npy``: float32 ``(n_windows, n_features, window_frames)``, C order (a batch is
  ``array[rows]``, already in the model's layout);
- ``<split>-<key>.json``: shape, dtype, BLAKE2b checksum of the data bytes, front end, split, pad value.

``key`` is 16 hex digits of SHA-256 over :data:`PACK_VERSION`, the split, front end key, window length, pad
value and every window's (source checksum, first frame, valid frames): a changed entry, split or window
length is a new file, and the same data is one file reused by every seed and run. Both files are written
atomically, array first (a pack exists once its ``.json`` does); opening a pack checks header, size and
checksum, and a damaged pack raises :class:`PackDamaged`, is removed and rewritten from the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from irbench.errors import IrbenchError
from irbench.features.cache import DTYPE, _header, _stream_checksum
from irbench.features.reader import WindowReader
from irbench.store.atomic import atomic_path, atomic_write_text
from irbench.windowing.dataset import WindowDataset, Windows
from irbench.windowing.index import WindowIndex

PACK_VERSION = "1"
WRITE_CHUNK = 256
"""Windows read from the cache and written per step when packing (memory: one chunk)."""
DEVICE_BUDGET_FRACTION = 0.25
"""Share of the device's free memory a device-resident store may take (``IRBENCH_DEVICE_STORE_BYTES``
overrides it with a number of bytes; ``0`` keeps every store on the host)."""
BUDGET_VARIABLE = "IRBENCH_DEVICE_STORE_BYTES"
LOG = logging.getLogger(__name__)


class PackDamaged(IrbenchError):
    """A packed store's files disagree with each other, with its index or with their checksum."""


def pack_key(split: str, frontend: str, index: WindowIndex, pad_value: float) -> str:
    """16 hex digits naming the pack of ``index`` (see the module docstring)."""
    digest = hashlib.sha256(json.dumps(
        {"version": PACK_VERSION, "split": split, "frontend": frontend, "window_frames": int(index.window_frames),
         "pad_value": float(pad_value), "n_features": int(index.n_features), "dtype": DTYPE.str},
        sort_keys=True).encode())
    for entry in index.files:
        digest.update(entry.checksum.encode())
    for column in (index.file.astype("<i8"), index.start.astype("<i8"), index.valid.astype("<i8")):
        digest.update(np.ascontiguousarray(column).tobytes())
    return digest.hexdigest()[:16]


def pack_path(cache_dir: Path, frontend: str, split: str, key: str) -> Path:
    """Where the pack of a split lives (its ``.json`` sits beside it)."""
    return Path(cache_dir).expanduser().resolve() / "packed" / frontend / f"{split}-{key}.npy"


def pack_split(cache_dir: Path, frontend: str, split: str, index: WindowIndex, reader: WindowReader) -> PackedWindows:
    """The verified pack of ``index``'s windows, written from the cache first when it is absent or damaged.

    Parameters
    ----------
    cache_dir: the feature cache (``--cache-dir``); packs go under ``packed/``.
    frontend: the front end's cache key (:func:`irbench.features.cache.frontend_key`).
    split: the split's name (part of the file name and key).
    index: the split's windows (at least one); reader: reads them from the cache for packing.

    Raises
    ------
    ValueError: an empty index (nothing to pack).
    OSError: the cache folder cannot be written (disk full).
    IrbenchError: a cache entry changed while it was packed (from the reader).
    """
    if not len(index):
        raise ValueError(f"split {split!r} has no window to pack")
    path = pack_path(cache_dir, frontend, split, pack_key(split, frontend, index, reader.pad_value))
    if path.with_suffix(".json").exists():
        try:
            return PackedWindows(path, index)
        except PackDamaged as error:
            LOG.warning("repacking a damaged packed store: %s", error)
            path.with_suffix(".json").unlink(missing_ok=True)
            path.unlink(missing_ok=True)
    _write(path, split, frontend, WindowDataset(index, reader), reader.pad_value)
    return PackedWindows(path, index)


def _write(path: Path, split: str, frontend: str, source: WindowDataset, pad_value: float) -> None:
    shape = (len(source), source.index.n_features, source.index.window_frames)
    digest = hashlib.blake2b(digest_size=16)
    with atomic_path(path) as temporary:
        out = np.lib.format.open_memmap(temporary, mode="w+", dtype=DTYPE, shape=shape)
        for first in range(0, shape[0], WRITE_CHUNK):
            chunk = source.windows(np.arange(first, min(first + WRITE_CHUNK, shape[0])))
            out[first:first + len(chunk)] = chunk
            digest.update(np.ascontiguousarray(chunk, dtype=DTYPE).data)
        out.flush()
        del out
    sidecar = {"version": PACK_VERSION, "split": split, "frontend": frontend, "shape": list(shape),
               "dtype": DTYPE.str, "blake2b": digest.hexdigest(), "pad_value": float(pad_value)}
    atomic_write_text(path.with_suffix(".json"), json.dumps(sidecar))


def _open(path: Path, expected: tuple[int, int, int]) -> np.memmap:
    """The checked memory map of a pack. Raises ``PackDamaged`` (see :class:`PackedWindows`)."""
    try:
        sidecar = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
        shape, checksum = tuple(int(n) for n in sidecar["shape"]), str(sidecar["blake2b"])
        with open(path, "rb") as handle:
            header_shape, dtype, fortran, offset = _header(handle)
            size = os.fstat(handle.fileno()).st_size
            actual = _stream_checksum(handle)
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PackDamaged(f"packed store {path} is unreadable ({error})") from error
    if header_shape != shape or shape != expected or dtype != DTYPE or fortran:
        raise PackDamaged(f"packed store {path}: header {header_shape} {dtype}, sidecar {shape}, index {expected}")
    if size - offset != int(np.prod(shape)) * DTYPE.itemsize:
        raise PackDamaged(f"packed store {path} holds {size - offset} data bytes, not those of {shape}")
    if actual != checksum:
        raise PackDamaged(f"packed store {path} fails its checksum (its bytes changed after writing)")
    return np.memmap(path, dtype=DTYPE, mode="r", offset=offset, shape=shape)


class PackedWindows(Windows):
    """The windows of one split read from its pack: ``windows(rows)`` is one fancy index into the map.

    Parameters
    ----------
    path: the pack's ``.npy``; index: the split's window index (targets, mask; its length and window shape
        must match the pack's).

    Raises ``PackDamaged`` when the pack disagrees with its sidecar or the index, or fails its checksum.
    """

    def __init__(self, path: Path, index: WindowIndex):
        self.path, self.index = Path(path), index
        self.targets, self.mask = index.targets, index.mask
        self.shape = (len(index), index.n_features, index.window_frames)
        self._array: np.memmap | None = _open(self.path, self.shape)
        self._resident: dict[str, DeviceWindows] = {}

    @property
    def array(self) -> np.memmap:
        """The read-only memory map ``(n_windows, n_features, window_frames)`` float32."""
        if self._array is None:  # a copy in another process maps the (already verified) file again
            offset = _header(open(self.path, "rb"))[3]
            self._array = np.memmap(self.path, dtype=DTYPE, mode="r", offset=offset, shape=self.shape)
        return self._array

    @property
    def nbytes(self) -> int:
        """Bytes of the windows (what a device-resident copy takes)."""
        return int(np.prod(self.shape)) * DTYPE.itemsize

    @property
    def n_features(self) -> int:
        """Feature rows of a window (no read)."""
        return self.shape[1]

    def windows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """``(len(rows), n_features, window_frames)`` float32 copies of the given windows."""
        return self.array[np.asarray(rows, dtype=np.int64)].view(np.ndarray)

    def on_device(self, device: str | torch.device) -> DeviceWindows:
        """The windows moved to ``device`` once (in chunks of :data:`WRITE_CHUNK` windows, so the host never
        holds a second copy) and kept for later calls (other seeds of the same run)."""
        key = str(torch.device(device))
        if key not in self._resident:
            features = torch.empty(self.shape, dtype=torch.float32, device=device)
            for first in range(0, self.shape[0], WRITE_CHUNK):
                chunk = torch.from_numpy(np.array(self.array[first:first + WRITE_CHUNK]))
                features[first:first + len(chunk)].copy_(chunk)
            self._resident[key] = DeviceWindows(features, self.targets, self.mask)
        return self._resident[key]

    def __getstate__(self) -> dict:  # never pickle the mapped bytes or device copies
        return {**self.__dict__, "_array": None, "_resident": {}}


class DeviceWindows(Windows):
    """Windows held as one tensor on a device; batches are gathered there (one indexing op), so training
    copies nothing per step. ``features`` ``(n_windows, n_features, window_frames)`` float32 on any device
    (``cpu`` in tests), ``targets`` and ``mask`` ``(n_windows, n_classes)`` float32 (copied to it)."""

    def __init__(self, features: torch.Tensor, targets: np.ndarray, mask: np.ndarray):
        self.features = features
        self.targets, self.mask = np.asarray(targets, np.float32), np.asarray(mask, np.float32)
        self._targets = torch.from_numpy(self.targets).to(features.device)
        self._mask = torch.from_numpy(self.mask).to(features.device)
        self.resident_device = str(features.device)

    def _gather(self, tensor: torch.Tensor, rows) -> torch.Tensor:
        rows = np.asarray(rows, dtype=np.int64)
        if tensor.device.type == "cpu":  # numpy's row copy: torch's CPU gathers run 5-10x slower on wide windows
            return torch.from_numpy(tensor.numpy()[rows])
        return tensor[torch.as_tensor(rows, device=tensor.device)]

    def __getitems__(self, rows: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        return (self._gather(self.features, rows), self._gather(self._targets, rows),
                self._gather(self._mask, rows))

    def windows(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """``(len(rows), n_features, window_frames)`` float32 host copies of the given windows."""
        return self._gather(self.features, rows).cpu().numpy()

    def tensor_batches(self, batch_size: int, device: str | torch.device) -> Iterator[torch.Tensor]:
        """Consecutive batches, sliced where the windows live (``device`` must be theirs)."""
        for first in range(0, len(self), batch_size):
            yield self.features[first:first + batch_size].to(device)

    @property
    def n_features(self) -> int:
        """Feature rows of a window."""
        return int(self.features.shape[1])


def device_budget(device: str | torch.device) -> int:
    """Bytes a device-resident store may take on ``device``: ``IRBENCH_DEVICE_STORE_BYTES`` when set, else
    :data:`DEVICE_BUDGET_FRACTION` of the CUDA device's free memory; 0 on the CPU (the host store is
    already in memory there: moving it would only copy it).

    Raises ``ValueError`` for a variable that is not a whole number of bytes."""
    if torch.device(device).type != "cuda":
        return 0
    if os.environ.get(BUDGET_VARIABLE):
        return int(os.environ[BUDGET_VARIABLE])
    free, _ = torch.cuda.mem_get_info(torch.device(device))
    return int(free * DEVICE_BUDGET_FRACTION)


def place(windows: Windows, device: str | torch.device, budget: int | None = None) -> Windows:
    """``windows`` on ``device`` when it is a pack that fits ``budget`` bytes (default
    :func:`device_budget`), else ``windows`` unchanged (read on the host, copied per batch)."""
    if not isinstance(windows, PackedWindows):
        return windows
    budget = device_budget(device) if budget is None else budget
    if windows.nbytes > budget:
        return windows
    return windows.on_device(device)
