"""On-disk feature cache: one ``.npy`` per audio file, keyed by everything that shapes the features.

Key = SHA-256 of the audio file's bytes (so a changed or renamed file is never confused with another) +
a digest of the front end's name and configuration, the decoder settings (mono mix, resampler quality) and
``FEATURE_CODE_VERSION`` (bumped whenever feature code changes numbers). Entries are written atomically
and read memory-mapped.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from irbench.atomic import atomic_path
from irbench.audio import RESAMPLER_QUALITY

FEATURE_CODE_VERSION = "1"
_HASH_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def frontend_key(name: str, config: dict) -> str:
    """Folder name for one front-end configuration: ``<name>-<16 hex digits>``."""
    payload = json.dumps(
        {"frontend": name, "config": config, "mono": "mean", "resampler": f"soxr-{RESAMPLER_QUALITY}",
         "code": FEATURE_CODE_VERSION},
        sort_keys=True,
    )
    return f"{name}-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"


class FeatureCache:
    """Feature arrays of one front-end configuration under ``root/features/<frontend key>/``."""

    def __init__(self, root: Path, name: str, config: dict):
        self.directory = Path(root).expanduser().resolve() / "features" / frontend_key(name, config)

    def path(self, audio_sha256: str) -> Path:
        """Where the features of the audio with this hash live."""
        return self.directory / audio_sha256[:2] / f"{audio_sha256}.npy"

    def has(self, audio_sha256: str) -> bool:
        """Whether the entry exists (it is complete if it exists: writes are atomic)."""
        return self.path(audio_sha256).exists()

    def load(self, audio_sha256: str) -> np.ndarray:
        """The cached array, memory-mapped read-only. Raises ``FileNotFoundError`` when absent."""
        return np.load(self.path(audio_sha256), mmap_mode="r")

    def store(self, audio_sha256: str, features: np.ndarray) -> None:
        """Write ``features`` (any shape, stored as float32) atomically."""
        with atomic_path(self.path(audio_sha256)) as temporary:
            with open(temporary, "wb") as handle:
                np.save(handle, np.asarray(features, dtype=np.float32))
