"""On-disk feature cache: one array per audio file, keyed by everything that shapes the features, checked
when read.

Key = SHA-256 of the audio file's bytes (so a changed or renamed file is never confused with another) +
a digest of the front end's name and configuration, the decoder settings (mono mix, resampler quality) and
``FEATURE_CODE_VERSION`` (bumped whenever feature code changes numbers or the layout on disk).

An entry is two files under ``CACHE_DIR/features/<front end key>/<first two hex digits>/``:

- ``<sha256>.npy``: float32 features stored time-major, ``(frames, n_features)``, so that one window is one
  contiguous byte range and is read with a single ``pread`` (see :mod:`irbench.features.reader`);
- ``<sha256>.json``: the array's shape and dtype, a BLAKE2b checksum of its bytes, and the decoded audio's
  duration (seconds, samples, source sample rate) for the tasks' truncation checks.

Both are written atomically (a temporary file beside it, renamed into place), the array first, by the
holder of its group's lock (:meth:`FeatureCache.entry_lock`); an entry exists once its ``.json`` does.
Reading an entry in full (:meth:`FeatureCache.verify`) checks the ``.npy`` header against the ``.json`` and the file's size, and
the checksum against the bytes: a damaged entry raises :class:`CacheEntryDamaged` and is removed, so the
caller recomputes it instead of training on damaged numbers.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from irbench.data.audio import MONO_MIX, RESAMPLER_QUALITY
from irbench.errors import IrbenchError

FEATURE_CODE_VERSION = "2"  # 2: time-major arrays with a checksummed sidecar
DTYPE = np.dtype("<f4")


def lock_group(audio_sha256: str) -> str:
    """Which of the sixteen entry locks guards this entry: the hash's first hex digit."""
    return audio_sha256[:1]


def lock_batches(jobs: list, size: int) -> list[list]:
    """Split ``jobs`` (anything with a ``digest``: hex SHA-256, sorted) into batches of whole lock groups
    (:func:`lock_group`), each closed once it holds at least ``size`` jobs: every
    group's lock is taken once per call whatever the batch size, and no two batches share a lock (threads
    never wait on each other). Raises ``ValueError`` when ``size < 1``."""
    if size < 1:
        raise ValueError(f"a batch holds at least one job, not {size}")
    batches: list[list] = []
    current: list = []
    for _, group in itertools.groupby(jobs, key=lambda job: lock_group(job.digest)):
        current.extend(group)
        if len(current) >= size:
            batches.append(current)
            current = []
    if current:
        batches.append(current)
    return batches


class CacheEntryDamaged(IrbenchError):
    """A cache entry's files disagree with each other or with their checksum (truncated, overwritten)."""


def frontend_key(name: str, config: dict, device_type: str = "cpu") -> str:
    """Folder name for one front-end configuration: ``<name>-<16 hex digits>``. ``device_type``: the torch
    device type the features are computed on; any but ``cpu`` (e.g. ``cuda``, whose FFTs round otherwise)
    is part of the key, so GPU and CPU numbers never share a folder (CPU keys are those of before)."""
    described = {"frontend": name, "config": config, "mono": MONO_MIX, "resampler": f"soxr-{RESAMPLER_QUALITY}",
                 "code": FEATURE_CODE_VERSION}
    if device_type != "cpu":
        described["device"] = device_type
    payload = json.dumps(described, sort_keys=True)
    return f"{name}-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class AudioDuration:
    """How long the decoded audio of an entry was: ``seconds``, ``samples`` at ``sample_rate`` Hz (the file's
    own rate, before resampling)."""

    seconds: float
    samples: int
    sample_rate: int


@dataclass(frozen=True)
class CachedFeatures:
    """Where one file's features lie: ``path`` of the ``.npy``, byte ``offset`` of the data, ``frames`` x
    ``n_features`` float32 values stored time-major, the source audio's ``duration`` and the ``checksum``."""

    path: Path
    offset: int
    frames: int
    n_features: int
    duration: AudioDuration
    checksum: str


@dataclass
class ExtractedFeatures:
    """Features of a set of audio files, ready to be read window by window.

    Attributes
    ----------
    entries: path -> where its verified features lie in the cache (time-major ``(frames, n_features)``).
    audio_sha256: path -> hex SHA-256 of the file's bytes (also for skipped files that could be hashed).
    skipped: (path, reason) of unreadable files, when ``skip_bad`` was given.
    computed: files whose features were computed in this call (the rest came from the cache).
    hashed: files read in full to hash them (the rest came from the memo).
    repaired: what was wrong with each damaged cache entry that was found, removed and recomputed.
    seconds: seconds spent in ``hash``, ``extract`` and ``verify``.
    """

    entries: dict[Path, CachedFeatures]
    audio_sha256: dict[Path, str]
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    computed: int = 0
    hashed: int = 0
    repaired: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def array(self, path: Path) -> np.ndarray:
        """The features of one file as ``(n_features, frames)`` float32 (read from the cache)."""
        entry = self.entries[Path(path)]
        return np.load(entry.path).T


def _checksum(data: bytes | memoryview) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


_HEADER_LOCK = threading.Lock()  # numpy parses .npy headers with ast, which CPython 3.11 cannot run in threads


def _header(handle) -> tuple[tuple[int, ...], np.dtype, bool, int]:
    with _HEADER_LOCK:
        return _parse_header(handle)


def _parse_header(handle) -> tuple[tuple[int, ...], np.dtype, bool, int]:
    version = np.lib.format.read_magic(handle)
    readers = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}
    if version not in readers:
        raise ValueError(f".npy format version {version} is not one numpy writes for float32 arrays")
    shape, fortran, dtype = readers[version](handle)
    return shape, dtype, fortran, handle.tell()


class FeatureCache:
    """Feature arrays of one front-end configuration under ``root/features/<frontend key>/`` (computed on
    ``device_type``: see :func:`frontend_key`)."""

    def __init__(self, root: Path, name: str, config: dict, device_type: str = "cpu"):
        self.directory = Path(root).expanduser().resolve() / "features" / frontend_key(name, config, device_type)
        self.name, self.config = name, config
        self._folder = str(self.directory)
        self._described = False
        self._locks: dict[str, object] = {}
        self._shards: set[str] = set()
        self._guard = threading.Lock()

    def entry_lock(self, audio_sha256: str):
        """The inter-process lock (``filelock.FileLock``, reentrant per thread) of the entries whose hash
        starts with this one's first hex digit (:func:`lock_group`): ``<front end folder>/.lock-<digit>``,
        sixteen in all, reused after first use. Hold it while computing and storing an entry so two runs
        sharing a cache never compute it twice; threads of one process exclude each other too.

        Raises ``OSError`` when the front end's folder cannot be created."""
        group = lock_group(audio_sha256)
        with self._guard:
            lock = self._locks.get(group)
            if lock is None:
                from filelock import FileLock

                self.directory.mkdir(parents=True, exist_ok=True)
                lock = self._locks[group] = FileLock(self.directory / f".lock-{group}")
        return lock

    def path(self, audio_sha256: str) -> Path:
        """Where the array of the audio with this hash lives (its ``.json`` sits beside it)."""
        return Path(f"{self._folder}/{audio_sha256[:2]}/{audio_sha256}.npy")

    def has(self, audio_sha256: str) -> bool:
        """Whether the entry exists (it is complete if its ``.json`` exists: the array is written first)."""
        return os.path.exists(f"{self._folder}/{audio_sha256[:2]}/{audio_sha256}.json")

    def store(self, audio_sha256: str, features: np.ndarray, duration: AudioDuration) -> CachedFeatures:
        """Write ``features`` ``(n_features, frames)`` (stored as float32, time-major) and its sidecar; returns
        where the entry lies (its checksum computed from the bytes written, so it needs no re-reading).

        Call it holding :meth:`entry_lock`: the temporary files are named after the entry, one writer each.
        Raises ``OSError`` when the cache folder cannot be written (disk full, permissions)."""
        if not self._described:
            from irbench.features.inventory import describe_frontend

            self.directory.mkdir(parents=True, exist_ok=True)
            describe_frontend(self.directory, self.name, self.config)
            self._described = True
        array = np.ascontiguousarray(np.asarray(features, dtype=DTYPE).T)
        checksum = _checksum(array.data)
        sidecar = {"shape": list(array.shape), "dtype": DTYPE.str, "blake2b": checksum,
                   "seconds": duration.seconds, "samples": duration.samples, "sample_rate": duration.sample_rate}
        header = np.lib.format.header_data_from_array_1_0(array)
        folder = f"{self._folder}/{audio_sha256[:2]}"
        if audio_sha256[:2] not in self._shards:
            os.makedirs(folder, exist_ok=True)
            self._shards.add(audio_sha256[:2])
        with _replacing(folder, f"{audio_sha256}.npy") as handle:
            np.lib.format.write_array_header_1_0(handle, header)
            offset = handle.tell()
            handle.write(array.data)
        with _replacing(folder, f"{audio_sha256}.json") as handle:
            handle.write(json.dumps(sidecar).encode())
        return CachedFeatures(self.path(audio_sha256), offset, array.shape[0], array.shape[1], duration, checksum)

    def remove(self, audio_sha256: str) -> None:
        """Delete an entry's files (a damaged entry, before it is recomputed)."""
        path = self.path(audio_sha256)
        path.with_suffix(".json").unlink(missing_ok=True)
        path.unlink(missing_ok=True)

    def verify(self, audio_sha256: str) -> CachedFeatures:
        """Check an entry in full and return where it lies; the bytes are streamed through the checksum (a
        fixed-size buffer), never held.

        Raises
        ------
        CacheEntryDamaged: the sidecar is unreadable, the ``.npy`` header disagrees with it, the file is
            shorter or longer than its header says, or the bytes fail the checksum. The entry is removed.
        FileNotFoundError: the entry does not exist.
        """
        path = self.path(audio_sha256)
        try:
            return self._verify(path)
        except CacheEntryDamaged:
            self.remove(audio_sha256)
            raise

    def load(self, audio_sha256: str) -> np.ndarray:
        """A checked entry's features as ``(n_features, frames)`` float32 in memory (for tools and tests;
        runs read windows with :class:`irbench.features.reader.WindowReader`).

        Raises ``CacheEntryDamaged`` (entry removed) or ``FileNotFoundError`` as :meth:`verify`."""
        self.verify(audio_sha256)
        return np.load(self.path(audio_sha256)).T

    def _verify(self, path: Path) -> CachedFeatures:
        sidecar_path = path.with_suffix(".json")
        try:
            sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
            shape = tuple(int(n) for n in sidecar["shape"])
            duration = AudioDuration(float(sidecar["seconds"]), int(sidecar["samples"]), int(sidecar["sample_rate"]))
            expected_checksum = str(sidecar["blake2b"])
        except FileNotFoundError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise CacheEntryDamaged(f"cache entry {sidecar_path} is unreadable ({error})") from error
        try:
            with open(path, "rb") as handle:
                header_shape, dtype, fortran, offset = _header(handle)
                size = os.fstat(handle.fileno()).st_size
                checksum = _stream_checksum(handle)
        except FileNotFoundError as error:
            raise CacheEntryDamaged(f"cache entry {path} is missing its array") from error
        except (OSError, ValueError) as error:
            raise CacheEntryDamaged(f"cache entry {path} has no valid .npy header ({error})") from error
        if header_shape != shape or dtype != DTYPE or fortran or len(shape) != 2:
            raise CacheEntryDamaged(f"cache entry {path}: header says {header_shape} {dtype}, sidecar {shape}")
        expected_bytes = shape[0] * shape[1] * DTYPE.itemsize
        if size - offset != expected_bytes:
            raise CacheEntryDamaged(f"cache entry {path} holds {size - offset} data bytes, its header says "
                                    f"{expected_bytes} (truncated or appended to)")
        if checksum != expected_checksum:
            raise CacheEntryDamaged(f"cache entry {path} fails its checksum (its bytes changed after writing)")
        return CachedFeatures(path, offset, shape[0], shape[1], duration, expected_checksum)


@contextmanager
def _replacing(folder: str, name: str):
    """An open binary file ``folder/.<stem>.partial<suffix>`` that replaces ``folder/name`` in one rename
    when the block succeeds and is removed when it fails. Its name is fixed, so only the holder of the
    entry's lock may write it (a left-over of a write that died is overwritten); created with the umask's
    usual permissions; ``folder`` is made when missing."""
    stem, dot, suffix = name.rpartition(".")
    temporary = f"{folder}/.{stem}.partial{dot}{suffix}"
    try:
        handle = open(temporary, "wb")
    except FileNotFoundError:  # the shard folder was removed meanwhile
        os.makedirs(folder, exist_ok=True)
        handle = open(temporary, "wb")
    try:
        with handle:
            yield handle
        os.replace(temporary, f"{folder}/{name}")
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _stream_checksum(handle) -> str:
    """The checksum of the rest of an open file, read through one 1 MiB buffer."""
    digest = hashlib.blake2b(digest_size=16)
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    while True:
        count = handle.readinto(buffer)
        if not count:
            return digest.hexdigest()
        digest.update(view[:count])


def entry_size(path: Path) -> int:
    """Bytes of an entry's files (array and sidecar) on disk; 0 for what is absent."""
    total = 0
    for member in (path, path.with_suffix(".json")):
        try:
            total += os.stat(member).st_size
        except OSError:
            pass
    return total
