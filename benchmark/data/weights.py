"""Pretrained weights: declared as remote files with their published checksums, downloaded into the cache.

``irbench data download cnn14-weights`` fetches a declaration's file with pooch into
``<cache>/weights/`` (``--cache-dir``, env ``IRBENCH_CACHE_DIR``, default ``.cache/irbench``), never into the
home folder; ``irbench data verify cnn14-weights`` checks it. Baselines look there by default
(:func:`find_weights`) and record what they loaded (:func:`identify`). Built-in declarations are registered
below; a plugin adds its own through the ``irbench.data.weights`` entry-point group.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from irbench.data.hashing import file_digest
from irbench.registry import Registry
from irbench.data.resources import RemoteFile, RemoteFiles, Source

CACHE_ENV = "IRBENCH_CACHE_DIR"
DEFAULT_CACHE = Path(".cache/irbench")
WEIGHTS_FOLDER = "weights"


class Weights(BaseModel):
    """A model's pretrained weights: one remote file and what it is.

    name: the name ``irbench data download`` takes (``cnn14-weights``). file: the remote file, with its
    published checksum. description: one line. used_by: baselines that load it by default. homepage,
    licence, citation: where it is published and on which terms.
    """

    model_config = ConfigDict(frozen=True)

    name: str
    file: RemoteFile
    description: str
    used_by: tuple[str, ...] = ()
    homepage: str = ""
    licence: str = ""
    citation: str = ""

    @property
    def sources(self) -> tuple[Source, ...]:
        """What ``irbench data download`` and ``verify`` loop over: the one file, fetched by pooch."""
        return (RemoteFiles(files=(self.file,)),)

    def path(self, cache_dir: Path | None = None) -> Path:
        """Where the downloaded file lives: ``<cache>/weights/<file name>`` (it may not exist)."""
        return weights_folder(cache_dir) / self.file.name


def _check(entry: object) -> str | None:
    return None if isinstance(entry, Weights) else f"is a {type(entry).__name__}, not irbench.data.weights.Weights"


WEIGHTS: Registry[Weights] = Registry("weights", entry_point_group="irbench.weights", check=_check)
WEIGHTS.register_lazy("cnn14-weights", "irbench.baselines.panns_checkpoint:CNN14_WEIGHTS")


def cache_dir(explicit: Path | str | None = None) -> Path:
    """The irbench cache folder: ``explicit`` (``--cache-dir``), else ``$IRBENCH_CACHE_DIR``, else
    ``.cache/irbench`` relative to the working folder; ``~`` expanded."""
    value = explicit or os.environ.get(CACHE_ENV) or DEFAULT_CACHE
    return Path(value).expanduser()


def weights_folder(cache: Path | str | None = None) -> Path:
    """``<cache>/weights``: where downloaded weights live."""
    return cache_dir(cache) / WEIGHTS_FOLDER


def find_weights(weights: Weights, cache: Path | str | None = None) -> Path | None:
    """The downloaded file of ``weights`` in the cache, or ``None`` when it has not been downloaded."""
    path = weights.path(cache)
    return path if path.is_file() else None


@dataclass(frozen=True)
class WeightsIdentity:
    """What a run record says about a weights file: its name, SHA-256, MD5, and whether it is the file a
    declaration publishes (``declared``: the declaration's name, or ``None`` for another file)."""

    file: str
    sha256: str
    md5: str
    declared: str | None


_IDENTITIES: dict[tuple[str, int, int, int], tuple[str, str]] = {}


def identify(path: Path, weights: Weights | None = None) -> WeightsIdentity:
    """SHA-256 and MD5 of ``path`` (:func:`irbench.data.hashing.file_digest`, memoised on path, size, mtime and
    inode, so the seeds of one process hash a 300 MB file once), and whether it matches ``weights``' published
    checksum.

    Raises ``OSError`` when the file cannot be read."""
    path = Path(path)
    status = path.stat()
    key = (str(path.resolve()), status.st_size, status.st_mtime_ns, status.st_ino)
    if key not in _IDENTITIES:
        _IDENTITIES[key] = (file_digest(path, "sha256"), file_digest(path, "md5"))
    sha256_hex, md5_hex = _IDENTITIES[key]
    declared = None
    if weights is not None:
        found = {"sha256": sha256_hex, "md5": md5_hex}.get(weights.file.algorithm)
        if found == weights.file.digest and (weights.file.size is None or weights.file.size == status.st_size):
            declared = weights.name
    return WeightsIdentity(path.name, sha256_hex, md5_hex, declared)
