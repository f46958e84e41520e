"""The feature stage: audio hashes (memoised), computing only what the cache lacks, checking what it has.

1. **hash**: the SHA-256 of every audio file, from the memo in the cache when the file's size, mtime and
   inode are unchanged (:mod:`irbench.features.hashes`), else read in threads (hashing releases the GIL).
2. **extract**: files whose features are not cached are decoded and transformed, in batches of consecutive
   digests (one entry lock per batch and lock group): in ``workers`` threads here for a built-in ``thread_safe``
   front end (decoding, resampling and torch release the GIL, and no process has to start and import
   torch), in ``workers`` spawned processes for any other (only when there are more such files than
   workers), otherwise here. Either way each file is transformed on one torch thread, so cached numbers never
   depend on the worker count, and this process's thread count is restored afterwards (training keeps its
   threads).
3. **verify**: every entry the run will read and did not write is read once in full and checked against its
   sidecar and checksum; a damaged entry is removed and recomputed, never used. An entry written here is
   described by the bytes written (checksummed before writing), not read back.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from irbench.errors import AudioDecodeError, OutputError
from irbench.features.cache import (AudioDuration, CacheEntryDamaged, CachedFeatures, ExtractedFeatures,
                                    FeatureCache, lock_batches, lock_group)
from irbench.features.hashes import AudioHashMemo
from irbench.run.parallel import parallel_map, progress_bar


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
_CACHES: dict[tuple[Path, str, str], FeatureCache] = {}
_BUILDING = threading.Lock()


def _frontend(name: str, config_json: str, device=None):
    """The front end ``name`` built for ``config_json`` (on ``device``, default CPU), once per process and
    device (its filterbank and window with it). A spawned worker looks it up by name in
    :data:`irbench.features.FRONTENDS`, which finds built-ins and ``irbench.frontends`` plugins alike."""
    key = (name, config_json, str(device))
    with _BUILDING:
        if key not in _FRONTENDS:
            from irbench.features import FRONTENDS

            cls = FRONTENDS.get(name)
            built = cls(cls.config_class(**json.loads(config_json))).eval()
            _FRONTENDS[key] = built if device is None else built.to(device)
        return _FRONTENDS[key]


BATCH_FILES = 32
"""Files transformed together on a device (:meth:`irbench.features.base.Frontend.transform_files`)."""


def batch_device(run_device):
    """The torch device to extract features on in batches of files for a run on ``run_device`` (a torch
    device or its name): the run's device when it is CUDA, else ``None`` (the per-file worker path)."""
    import torch

    device = torch.device(run_device)
    return device if device.type == "cuda" else None


def _compute_on_device(group: list[_Job], cache: FeatureCache, device, decoder: ThreadPoolExecutor,
                       advance: Callable[[], object] | None) -> list[Outcome]:
    """The jobs of one lock group (its lock held), decoded in ``decoder``'s threads and transformed
    :data:`BATCH_FILES` at a time on ``device``; outcomes as :func:`_compute_batch`'s."""
    import torch

    from irbench.data.audio import decode_audio

    frontend = _frontend(group[0].frontend_name, group[0].config_json, device)

    def decode(job: _Job):
        try:
            return decode_audio(job.path, frontend.sample_rate)
        except AudioDecodeError as error:
            return error.reason

    done = [cache.has(job.digest) for job in group]
    outcomes: list[Outcome] = [(job.path, None, None) for job, cached in zip(group, done) if cached]
    todo = [job for job, cached in zip(group, done) if not cached]
    for start in range(0, len(todo), BATCH_FILES):
        chunk = todo[start: start + BATCH_FILES]
        decoded = list(decoder.map(decode, chunk))
        good = [(job, audio) for job, audio in zip(chunk, decoded) if not isinstance(audio, str)]
        outcomes += [(job.path, audio, None) for job, audio in zip(chunk, decoded) if isinstance(audio, str)]
        with torch.inference_mode():
            features = frontend.transform_files([torch.from_numpy(audio.samples) for _, audio in good], device)
        for (job, audio), values in zip(good, features):
            duration = AudioDuration(audio.source_frames / audio.source_rate, audio.source_frames, audio.source_rate)
            outcomes.append((job.path, None, cache.store(job.digest, values.cpu().numpy(), duration)))
            if advance is not None:
                advance()
    return outcomes


def _cache(root: Path, name: str, config_json: str) -> FeatureCache:
    """One :class:`FeatureCache` per cache folder and front end in each process (its entry locks reused)."""
    key = (root, name, config_json)
    with _BUILDING:
        if key not in _CACHES:
            _CACHES[key] = FeatureCache(root, name, json.loads(config_json))
        return _CACHES[key]


Outcome = tuple[Path, "str | None", "CachedFeatures | None"]


def _compute_batch(jobs: list[_Job], cache: FeatureCache | None = None,
                   advance: Callable[[], object] | None = None, device=None,
                   decoder: ThreadPoolExecutor | None = None) -> list[Outcome]:
    """Decode, transform and cache each file of ``jobs`` (one front end and cache, sorted by digest); runs in
    a worker process or thread, or here. Returns per job ``(path, problem or None, entry or None)``: the
    entry just written, or None when another run had already written it (the caller verifies that one).
    ``cache``: the caller's (threads and here); a worker process makes its own. ``advance``: called after
    each file (a progress bar). ``device`` (with ``decoder``, threads that decode): transform on that
    torch device, several files at once (:func:`_compute_on_device`).

    Consecutive jobs of one lock group hold its lock (``filelock``) once, so two runs sharing a cache never compute
    the same entry twice; the second finds it done. Raises ``OutputError`` when the cache cannot be written."""
    if not jobs:
        return []
    if cache is None:  # in a worker process: one per process
        first = jobs[0]
        cache = _cache(first.cache_root, first.frontend_name, first.config_json)
    outcomes: list[Outcome] = []
    for _, group in itertools.groupby(jobs, key=lambda job: lock_group(job.digest)):
        group = list(group)
        try:
            with cache.entry_lock(group[0].digest):
                if device is not None:
                    outcomes += _compute_on_device(group, cache, device, decoder, advance)
                    continue
                for job in group:
                    outcomes.append(_compute_locked(job, cache))
                    if advance is not None:
                        advance()
        except OSError as error:
            raise OutputError(f"cannot write features of {group[0].path.name} to the cache {cache.directory}: "
                              f"{error.strerror or error}; free some space or give another --cache-dir") from None
    return outcomes


def _compute_locked(job: _Job, cache: FeatureCache) -> Outcome:
    """One job of :func:`_compute_batch`, its lock held."""
    import torch

    from irbench.data.audio import decode_audio

    if cache.has(job.digest):
        return job.path, None, None
    frontend = _frontend(job.frontend_name, job.config_json)
    if frontend.from_file:
        return _store_file_features(frontend, job, cache)
    try:
        decoded = decode_audio(job.path, frontend.sample_rate)
    except AudioDecodeError as error:
        return job.path, error.reason, None
    with torch.inference_mode():
        features = frontend(torch.from_numpy(decoded.samples)).numpy()
    duration = AudioDuration(decoded.source_frames / decoded.source_rate, decoded.source_frames,
                             decoded.source_rate)
    return job.path, None, cache.store(job.digest, features, duration)


def _store_file_features(frontend, job: _Job, cache: FeatureCache) -> Outcome:
    """Cache the features a ``from_file`` front end reads for ``job.path`` (its duration from the audio's
    header); returns ``(path, problem or None, entry or None)``."""
    import soundfile

    from irbench.errors import DatasetLayoutError

    try:
        info = soundfile.info(str(job.path))
        features = frontend.file_features(job.path)
    except DatasetLayoutError as error:
        return job.path, str(error), None
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        return job.path, f"cannot read its header ({error})", None
    duration = AudioDuration(info.frames / info.samplerate, info.frames, info.samplerate)
    return job.path, None, cache.store(job.digest, features, duration)


def _limit_threads() -> None:
    """A feature worker process's initialiser: torch on one intra-op thread (one core per worker)."""
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

    if workers > 1 and len(unknown) > 1:
        with ThreadPoolExecutor(workers) as pool:
            hashed = list(pool.map(one, unknown))
    else:
        hashed = [one(path) for path in unknown]
    for path, digest, problem in hashed:
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
    hashed: HashedAudio | None = None, batch_on=None,
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
    batch_on: a torch device (or its name) to compute missing features on, :data:`BATCH_FILES` files at
        a time, for a built-in ``thread_safe`` front end or one that ``batches_files`` (an embedder's or a
        tagger's, whose model runs where its options say; others ignore it): pass :func:`batch_device` of the
        run's device (CUDA, else ``None``: the per-file worker path). Features computed on a device type
        other than CPU have their own cache folder (:func:`irbench.features.cache.frontend_key`).

    Raises
    ------
    AudioDecodeError: an unreadable or corrupt file, naming it, unless ``skip_bad``.
    OSError: the cache folder cannot be written.
    """
    files = [Path(f) for f in dict.fromkeys(files)]
    root = Path(cache_root).expanduser().resolve()
    config_json = json.dumps(config, sort_keys=True)
    device_type = "cpu"
    if batch_on is not None:
        import torch

        batch_on = torch.device(batch_on)
        device_type = batch_on.type
    cache = FeatureCache(root, frontend_name, json.loads(config_json), device_type)
    hashed = hashed or hash_audio(files, root, data_home, workers)
    digests, problems = hashed.digests, dict(hashed.problems)
    seconds: dict[str, float] = {"hash": hashed.seconds}

    start = time.perf_counter()
    missing = [p for p in files if p in digests and not cache.has(digests[p])]
    failed, written = _run_jobs(missing, digests, root, cache, config_json, workers, show_progress, batch_on)
    problems.update(failed)
    computed = len(missing)
    seconds["extract"] = time.perf_counter() - start

    start = time.perf_counter()  # entries written here were checksummed from the bytes written: not re-read
    wanted = [p for p in files if p in digests and p not in problems and p not in written]
    entries, damaged = _verify_all(cache, wanted, digests)
    entries.update(written)
    if damaged:  # removed by verify: compute again, here, and check once more
        problems.update(_run_jobs(list(damaged), digests, root, cache, config_json, 1, False, batch_on)[0])
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


def _run_jobs(paths: list[Path], digests: dict[Path, str], root: Path, cache: FeatureCache, config_json: str,
              workers: int, show_progress: bool, device=None) -> tuple[dict[Path, str], dict[Path, CachedFeatures]]:
    """Compute features of ``paths``; returns path -> problem for those that could not be decoded, and
    path -> entry for those written here (entries another run wrote meanwhile are in neither).

    Where: a front end that must stay in this process (``in_process``), one worker or one file: here, in
    order. A built-in ``thread_safe`` front end (the torch spectrograms): ``workers`` threads here (decoding,
    resampling, hashing and torch release the GIL; no process to start). Anything else: ``workers`` spawned
    processes, each on one torch thread. Files go in batches of consecutive digests (whole lock groups).
    ``device`` (a ``thread_safe`` built-in, or one that ``batches_files``: an embedding model or a tagger):
    here, :data:`BATCH_FILES` files at a time on that device, decoded in ``workers`` threads."""
    if not paths:
        return {}, {}
    jobs = sorted((_Job(p, digests[p], root, cache.name, config_json) for p in paths),
                  key=lambda job: job.digest)
    description = f"Features ({cache.name})"
    from irbench.features import FRONTENDS

    # e.g. an embedding model, loaded once, here; a plugin front end is not imported here (workers find it)
    builtin = FRONTENDS.is_builtin(cache.name)
    in_process = builtin and FRONTENDS.get(cache.name).in_process
    threads = builtin and FRONTENDS.get(cache.name).thread_safe
    if not (threads or (builtin and FRONTENDS.get(cache.name).batches_files)):
        device = None
    parallel = workers > 1 and len(jobs) > workers and not in_process and device is None
    batches = lock_batches(jobs, max(1, len(jobs) // (workers * 8)) if parallel else len(jobs))
    if parallel and not threads:
        outcomes = parallel_map(_compute_batch, batches, workers, f"{description}, in batches", show_progress,
                                initializer=_limit_threads)
    else:
        with single_threaded(), (progress_bar() if show_progress else nullcontext()) as progress:
            advance = functools.partial(progress.advance, progress.add_task(description, total=len(jobs))) \
                if show_progress else None

            def run(batch: list[_Job]) -> list[Outcome]:
                return _compute_batch(batch, cache, advance)

            if device is not None:
                with ThreadPoolExecutor(max(1, workers), thread_name_prefix="irbench-decode") as decoder:
                    outcomes = [_compute_batch(jobs, cache, advance, device, decoder)]
            elif parallel and len(batches) > 1:
                with ThreadPoolExecutor(workers, thread_name_prefix="irbench-features") as pool:
                    outcomes = list(pool.map(run, batches))
            else:
                outcomes = [run(batch) for batch in batches]
    problems, written = {}, {}
    for path, problem, entry in itertools.chain.from_iterable(outcomes):
        if problem is not None:
            problems[path] = problem
        elif entry is not None:
            written[path] = entry
    return problems, written


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
