"""The feature stage: audio hashes (memoised), computing only what the cache lacks, checking what it has.

1. **hash**: the SHA-256 of every audio file, from the memo in the cache when the file's size, mtime and
   inode are unchanged (:mod:`irbench.features.hashes`), else read in threads (hashing releases the GIL).
2. **extract**: files whose features are not cached are decoded and transformed; in ``workers`` spawned
   processes only when there are more such files than workers, otherwise here. Either way each file is
   transformed single-threaded, so cached numbers never depend on the worker count, and this process's
   thread count is restored afterwards (training keeps its threads).
3. **verify**: every entry the run will read is read once in full and checked against its sidecar and
   checksum (threads); a damaged entry is removed and recomputed, never used.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from irbench.errors import AudioDecodeError, OutputError
from irbench.features.cache import AudioDuration, CacheEntryDamaged, CachedFeatures, FeatureCache
from irbench.features.hashes import AudioHashMemo
from irbench.run.parallel import parallel_map


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


@contextmanager
def single_threaded():
    """Run torch on one intra-op thread inside the block, restoring the previous count afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass(frozen=True)
class _Job:
    path: Path
    digest: str
    cache_root: Path
    frontend_name: str
    config_json: str


_FRONTENDS: dict[tuple[str, str], object] = {}


def _frontend(name: str, config_json: str):
    """The front end ``name`` built for ``config_json``, once per process. A spawned worker looks it up by name
    in :data:`irbench.features.FRONTENDS`, which finds built-ins and ``irbench.frontends`` plugins alike."""
    key = (name, config_json)
    if key not in _FRONTENDS:
        from irbench.features import FRONTENDS

        cls = FRONTENDS.get(name)
        _FRONTENDS[key] = cls(cls.config_class(**json.loads(config_json))).eval()
    return _FRONTENDS[key]


def _compute(job: _Job) -> tuple[Path, str | None]:
    """Decode, transform and cache one file; returns (path, problem or None). Runs in a worker or here.

    The entry's shard lock (``filelock``) is held meanwhile, so two runs sharing a cache never compute the same
    entry twice; the second finds it done. Raises ``OutputError`` when the cache cannot be written."""
    import torch
    from filelock import FileLock

    from irbench.data.audio import decode_audio

    cache = FeatureCache(job.cache_root, job.frontend_name, json.loads(job.config_json))
    shard = cache.path(job.digest).parent
    try:
        shard.mkdir(parents=True, exist_ok=True)
        with FileLock(shard / ".lock"):
            if cache.has(job.digest):
                return job.path, None
            frontend = _frontend(job.frontend_name, job.config_json)
            if frontend.from_file:
                return _store_file_features(frontend, job, cache)
            try:
                decoded = decode_audio(job.path, frontend.sample_rate)
            except AudioDecodeError as error:
                return job.path, error.reason
            with torch.inference_mode():
                features = frontend(torch.from_numpy(decoded.samples)).numpy()
            duration = AudioDuration(decoded.source_frames / decoded.source_rate, decoded.source_frames,
                                     decoded.source_rate)
            cache.store(job.digest, features, duration)
    except OSError as error:
        raise OutputError(f"cannot write features of {job.path.name} to the cache {cache.directory}: "
                          f"{error.strerror or error}; free some space or give another --cache-dir") from None
    return job.path, None


def _store_file_features(frontend, job: _Job, cache: FeatureCache) -> tuple[Path, str | None]:
    """Cache the features a ``from_file`` front end reads for ``job.path`` (its duration from the audio's
    header); returns ``(path, problem or None)``."""
    import soundfile

    from irbench.errors import DatasetLayoutError

    try:
        info = soundfile.info(str(job.path))
        features = frontend.file_features(job.path)
    except DatasetLayoutError as error:
        return job.path, str(error)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        return job.path, f"cannot read its header ({error})"
    cache.store(job.digest, features, AudioDuration(info.frames / info.samplerate, info.frames, info.samplerate))
    return job.path, None


def _limit_threads() -> None:
    import torch

    torch.set_num_threads(1)


def _hash_all(files: list[Path], memo: AudioHashMemo, workers: int) -> tuple[dict[Path, str], dict[Path, str]]:
    digests: dict[Path, str] = {}
    problems: dict[Path, str] = {}
    unknown = []
    for path in files:
        try:
            found = memo.known(path)
        except OSError as error:
            problems[path] = error.strerror or str(error)
            continue
        if found is None:
            unknown.append(path)
        else:
            digests[path] = found

    def one(path: Path):
        try:
            return path, memo.digest(path), None
        except OSError as error:
            return path, None, error.strerror or str(error)

    with ThreadPoolExecutor(max(1, workers)) as pool:
        for path, digest, problem in pool.map(one, unknown):
            if problem is None:
                digests[path] = digest
            else:
                problems[path] = problem
    return digests, problems


@dataclass
class HashedAudio:
    """The hash stage's outcome: ``digests`` path -> SHA-256, ``problems`` path -> why it could not be read,
    ``hashed`` files read in full (the rest came from the memo), ``seconds`` spent."""

    digests: dict[Path, str]
    problems: dict[Path, str]
    hashed: int
    seconds: float


def hash_audio(files: list[Path], cache_root: Path, data_home: Path | None, workers: int) -> HashedAudio:
    """SHA-256 of every file, memoised under ``cache_root`` (see :mod:`irbench.features.hashes`), unknown ones
    read in ``workers`` threads. Never raises for a bad file: it is listed in ``problems``."""
    start = time.perf_counter()
    files = [Path(f) for f in dict.fromkeys(files)]
    root = Path(cache_root).expanduser().resolve()
    memo = AudioHashMemo(root, data_home if data_home is not None else (files[0].parent if files else root))
    digests, problems = _hash_all(files, memo, workers)
    memo.save()
    return HashedAudio(digests, problems, memo.hashed, round(time.perf_counter() - start, 3))


def extract_features(
    files: list[Path], frontend_name: str, config: dict, cache_root: Path, workers: int,
    skip_bad: bool = False, show_progress: bool = True, data_home: Path | None = None,
    hashed: HashedAudio | None = None,
) -> ExtractedFeatures:
    """Hash, compute what is missing, and verify the features of every audio file.

    Parameters
    ----------
    files: audio files.
    frontend_name, config: a registered front end and its configuration (``model_dump()``).
    cache_root: the cache directory (``--cache-dir``); features, hash memo and nothing else go there.
    workers: processes for computing missing features (and threads for hashing).
    skip_bad: list unreadable files in ``skipped`` instead of raising.
    show_progress: a progress bar while features are computed.
    data_home: names the hash memo (default: the first file's folder).
    hashed: the hash stage's outcome when the caller already has it (:func:`hash_audio`).

    Raises
    ------
    AudioDecodeError: an unreadable or corrupt file, naming it, unless ``skip_bad``.
    OSError: the cache folder cannot be written.
    """
    files = [Path(f) for f in dict.fromkeys(files)]
    root = Path(cache_root).expanduser().resolve()
    cache = FeatureCache(root, frontend_name, config)
    config_json = json.dumps(config, sort_keys=True)
    hashed = hashed or hash_audio(files, root, data_home, workers)
    digests, problems = hashed.digests, dict(hashed.problems)
    seconds: dict[str, float] = {"hash": hashed.seconds}

    start = time.perf_counter()
    missing = [p for p in files if p in digests and not cache.has(digests[p])]
    problems.update(_run_jobs(missing, digests, root, frontend_name, config_json, workers, show_progress))
    computed = len(missing)
    seconds["extract"] = time.perf_counter() - start

    start = time.perf_counter()
    wanted = [p for p in files if p in digests and p not in problems]
    entries, damaged = _verify_all(cache, wanted, digests)
    if damaged:  # removed by verify: compute again, here, and check once more
        problems.update(_run_jobs(list(damaged), digests, root, frontend_name, config_json, 1, False))
        again, still = _verify_all(cache, [p for p in damaged if p not in problems], digests)
        entries.update(again)
        problems.update({p: f"its cached features were damaged twice in a row ({still[p]})" for p in still})
        computed += len(damaged)
    seconds["verify"] = time.perf_counter() - start

    skipped = []
    for path in files:
        if path in problems:
            if not skip_bad:
                raise AudioDecodeError(path, problems[path])
            skipped.append((path, problems[path]))
    return ExtractedFeatures(
        {p: entries[p] for p in files if p in entries}, digests, skipped, computed, hashed.hashed,
        [f"{p.name}: {reason}" for p, reason in damaged.items()],
        {k: round(v, 3) for k, v in seconds.items()},
    )


def _run_jobs(paths: list[Path], digests: dict[Path, str], root: Path, frontend_name: str, config_json: str,
              workers: int, show_progress: bool) -> dict[Path, str]:
    """Compute features of ``paths``; returns path -> problem for those that could not be decoded."""
    if not paths:
        return {}
    jobs = [_Job(p, digests[p], root, frontend_name, config_json) for p in paths]
    description = f"Features ({frontend_name})"
    from irbench.features import FRONTENDS

    # e.g. an embedding model, loaded once, here; a plugin front end is not imported here (workers find it)
    in_process = FRONTENDS.is_builtin(frontend_name) and FRONTENDS.get(frontend_name).in_process
    if workers > 1 and len(jobs) > workers and not in_process:
        outcomes = parallel_map(_compute, jobs, workers, description, show_progress, initializer=_limit_threads)
    else:
        with single_threaded():
            outcomes = parallel_map(_compute, jobs, 1, description, show_progress)
    return {path: problem for path, problem in outcomes if problem is not None}


def _verify_all(cache: FeatureCache, paths: list[Path], digests: dict[Path, str],
                ) -> tuple[dict[Path, CachedFeatures], dict[Path, str]]:
    """Read and check every entry; returns the good entries and path -> problem of damaged ones (already
    removed from the cache).

    One thread: entries are small (IRMAS: 24-160 KB) and most of the cost is per-file Python work, so threads
    only contend for the GIL (9,579 full-IRMAS entries: 3.6 s in one thread, 6.4-11 s in two)."""
    entries, damaged = {}, {}
    for path in paths:
        try:
            entries[path] = cache.verify(digests[path])
        except CacheEntryDamaged as error:
            damaged[path] = str(error)
    return entries, damaged
