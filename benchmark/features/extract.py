"""Parallel feature extraction into the cache, with a progress bar and bad-file handling."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from irbench.audio import load_audio
from irbench.errors import AudioDecodeError
from irbench.features.cache import FeatureCache, file_sha256
from irbench.parallel import parallel_map


@dataclass
class ExtractedFeatures:
    """Features of a set of audio files.

    Attributes
    ----------
    features: path -> ``(n_features, frames)`` read-only memory-mapped array of the whole file.
    audio_sha256: path -> hex SHA-256 of the file's bytes.
    skipped: (path, reason) of unreadable files, when ``skip_bad`` was given.
    """

    features: dict[Path, np.ndarray]
    audio_sha256: dict[Path, str]
    skipped: list[tuple[Path, str]]


@functools.lru_cache(maxsize=4)
def _frontend(name: str, config_json: str):
    from irbench.features import FRONTENDS

    cls = FRONTENDS.get(name)
    return cls(cls.config_class(**json.loads(config_json))).eval()


def _limit_threads() -> None:
    import torch

    torch.set_num_threads(1)


@dataclass(frozen=True)
class _Job:
    path: Path
    cache_root: Path
    frontend_name: str
    config_json: str


def _extract_one(job: _Job) -> tuple[Path, str | None, str | None]:
    """Returns (path, audio hash or None, problem or None); computes and caches features when missing."""
    import torch

    try:
        digest = file_sha256(job.path)
    except OSError as error:
        return job.path, None, str(error)
    cache = FeatureCache(job.cache_root, job.frontend_name, json.loads(job.config_json))
    if cache.has(digest):
        return job.path, digest, None
    frontend = _frontend(job.frontend_name, job.config_json)
    try:
        audio = load_audio(job.path, frontend.sample_rate)
    except AudioDecodeError as error:
        return job.path, digest, error.reason
    with torch.inference_mode():
        features = frontend(torch.from_numpy(audio)).numpy()
    cache.store(digest, features)
    return job.path, digest, None


def extract_features(
    files: list[Path], frontend_name: str, config: dict, cache_root: Path, workers: int,
    skip_bad: bool = False, show_progress: bool = True,
) -> ExtractedFeatures:
    """Compute (or reuse from the cache) the features of every audio file.

    Parameters
    ----------
    files: audio files; each is hashed every time, so edited audio is never served stale.
    frontend_name, config: a registered front end and its configuration (``model_dump()``).
    cache_root: the cache directory (``--cache-dir``).
    workers: worker processes (1 runs in this process).
    skip_bad: list unreadable files in ``skipped`` instead of raising.

    Raises
    ------
    AudioDecodeError: an unreadable or corrupt file, naming it, unless ``skip_bad``.
    """
    config_json = json.dumps(config, sort_keys=True)
    root = Path(cache_root).expanduser().resolve()
    jobs = [_Job(Path(f), root, frontend_name, config_json) for f in dict.fromkeys(files)]
    outcomes = parallel_map(
        _extract_one, jobs, workers, f"Features ({frontend_name})", show_progress, initializer=_limit_threads
    )
    cache = FeatureCache(root, frontend_name, config)
    features, hashes, skipped = {}, {}, []
    for path, digest, error in outcomes:
        if error is not None:
            if not skip_bad:
                raise AudioDecodeError(path, error)
            skipped.append((path, error))
            continue
        features[path] = cache.load(digest)
        hashes[path] = digest
    return ExtractedFeatures(features, hashes, skipped)
