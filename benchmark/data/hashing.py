"""File checksums in one place: the audio hashes that key the feature cache, dataset MD5s, weights' hashes.

``hashlib.file_digest`` (Python 3.11+) reads the file in chunks without holding it in memory; older Pythons
use ``pooch.file_hash``, which does the same.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_digest(path: Path | str, algorithm: str = "sha256") -> str:
    """Hex digest of a file's bytes with a ``hashlib`` algorithm (``sha256``, ``md5``, ``blake2b``).

    Raises
    ------
    OSError: the file cannot be read (missing, a folder, no permission).
    ValueError: an unknown algorithm.
    """
    if algorithm not in hashlib.algorithms_available:
        raise ValueError(f"unknown hash algorithm {algorithm!r}")
    with open(path, "rb") as handle:
        if hasattr(hashlib, "file_digest"):
            return hashlib.file_digest(handle, algorithm).hexdigest()
    import pooch

    return pooch.file_hash(str(path), alg=algorithm)
