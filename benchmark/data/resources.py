"""Remote files and the sources that fetch and check them: the one vocabulary for everything irbench
downloads (datasets' archives, mirdata indexes, pretrained weights).

A :class:`RemoteFile` is a URL with its published checksum and size. A :class:`Source` fetches files into a
folder and checks what it left there: :class:`RemoteFiles` through pooch (each file checked against its
checksum as it arrives, archives unpacked), :class:`irbench.data.mirdata_source.MirdataSource` through mirdata.
Dataset cards (:mod:`irbench.data.datasets`) and weights (:mod:`irbench.data.weights`) declare their sources;
``irbench data download`` and ``irbench data verify`` only loop over them.
"""

from __future__ import annotations

import re
import shutil
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from irbench.data.hashing import file_digest

_CHECKSUM = re.compile(r"^(md5|sha1|sha256|sha512):([0-9a-f]+)$")
_DIGEST_LENGTH = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128}


class RemoteFile(BaseModel):
    """One file on the web with its published checksum.

    Attributes
    ----------
    name: the file name it is saved under.
    url: where it is downloaded from (``https://``).
    checksum: ``"<algorithm>:<hex digest>"`` as pooch takes it (``md5:...``, ``sha256:...``), the digest
        the publisher lists, or one pinned from the file as downloaded (``checksum_source`` says which).
    size: bytes, or ``None`` when unknown.
    extract: the file is a tar or zip archive, unpacked into the destination and then removed.
    checksum_source: where the checksum comes from (a record's file listing, a pinned download).
    """

    model_config = ConfigDict(frozen=True)

    name: str
    url: str
    checksum: str
    size: int | None = Field(None, gt=0)
    extract: bool = False
    checksum_source: str = ""

    @field_validator("checksum")
    @classmethod
    def _checksum_format(cls, value: str) -> str:
        match = _CHECKSUM.match(value)
        if match is None or len(match.group(2)) != _DIGEST_LENGTH[match.group(1)]:
            raise ValueError(f"checksum {value!r} is not '<md5|sha1|sha256|sha512>:<hex digest>'")
        return value

    @property
    def algorithm(self) -> str:
        """The checksum's hash algorithm (``md5``, ``sha256``, ...)."""
        return self.checksum.split(":", 1)[0]

    @property
    def digest(self) -> str:
        """The checksum's hex digest."""
        return self.checksum.split(":", 1)[1]

    def problem(self, path: Path) -> str | None:
        """What is wrong with the local copy at ``path``: ``None`` when its size and checksum match.

        Raises ``OSError`` when the file cannot be read."""
        size = Path(path).stat().st_size
        if self.size is not None and size != self.size:
            return f"{size:,} bytes, expected {self.size:,}"
        found = file_digest(path, self.algorithm)
        if found != self.digest:
            return f"{self.algorithm.upper()} {found} differs from the published {self.digest}"
        return None


@dataclass
class ChecksumResult:
    """What a source's check found under a folder (paths relative to it, POSIX style).

    checked: files whose checksum was compared. invalid: ``(path, reason)`` for files that differ.
    missing: files the source lists but the folder lacks. reference: what the checksums came from.
    """

    reference: str
    checked: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


class Source(ABC):
    """Somewhere a dataset's or a model's files come from.

    ``uses_index``: whether :meth:`check` takes a separate index of checksums (``irbench data verify --index``).
    """

    uses_index: ClassVar[bool] = False

    @abstractmethod
    def fetch(self, destination: Path, progress: bool = True) -> None:
        """Download into ``destination`` (an existing folder), checking every file's checksum.

        Raises ``OSError`` or ``ValueError`` for a failed download or a checksum mismatch (the caller
        wraps them in ``IrbenchError``); archives are extracted, so the caller wraps this in
        :func:`irbench.data.download.safe_extraction`."""

    @abstractmethod
    def check(self, destination: Path, index: Path | None = None) -> ChecksumResult | None:
        """Compare the files under ``destination`` with their published checksums; ``None`` when there is
        nothing to compare against (no index downloaded).

        Raises ``IrbenchError`` naming ``index`` when it is given but unreadable."""

    @abstractmethod
    def describe(self) -> str:
        """One line for a person: where the files come from."""


_UNPACKERS = {".tar": "Untar", ".tar.gz": "Untar", ".tgz": "Untar", ".tar.bz2": "Untar", ".tar.xz": "Untar",
              ".zip": "Unzip"}


def _unpacker(file: RemoteFile, destination: Path):
    """pooch's processor that unpacks ``file`` into ``destination``. Raises ``ValueError`` for another type."""
    import pooch

    suffix = next((s for s in sorted(_UNPACKERS, key=len, reverse=True) if file.name.endswith(s)), None)
    if suffix is None:
        raise ValueError(f"{file.name}: cannot unpack (known archives: {', '.join(sorted(_UNPACKERS))})")
    return getattr(pooch, _UNPACKERS[suffix])(extract_dir=str(destination))


@dataclass(frozen=True)
class RemoteFiles(Source):
    """Files fetched with pooch, each checked against its checksum as it arrives.

    ``move_up``: an archive's top folder whose entries belong at the destination's root (MusicNet's
    ``musicnet/``); entries already at the root are kept.
    """

    files: tuple[RemoteFile, ...]
    move_up: str | None = None

    def fetch(self, destination: Path, progress: bool = True) -> None:
        """Each file with ``pooch.retrieve`` into ``destination``; archives unpacked there and removed."""
        import pooch

        destination = Path(destination)
        for file in self.files:
            processor = _unpacker(file, destination) if file.extract else None
            pooch.retrieve(file.url, known_hash=file.checksum, fname=file.name, path=destination,
                           processor=processor, progressbar=progress)
            if file.extract:
                (destination / file.name).unlink(missing_ok=True)
        nested = destination / self.move_up if self.move_up else None
        if nested is not None and nested.is_dir():
            for entry in sorted(nested.iterdir()):
                if not (destination / entry.name).exists():
                    shutil.move(str(entry), destination / entry.name)
            if not any(nested.iterdir()):
                nested.rmdir()

    def check(self, destination: Path, index: Path | None = None) -> ChecksumResult | None:
        """The files kept after download against their checksums; ``None`` when every file is an archive
        (gone once unpacked), so nothing is left to compare."""
        if all(file.extract for file in self.files):
            return None
        result = ChecksumResult(reference="published checksums")
        for file in self.files:
            if file.extract:
                continue
            path = Path(destination) / file.name
            if not path.exists():
                result.missing.append(file.name)
                continue
            result.checked.append(file.name)
            try:
                problem = file.problem(path)
            except OSError as error:
                problem = f"unreadable ({error})"
            if problem is not None:
                result.invalid.append((file.name, problem))
        return result

    def describe(self) -> str:
        """``name (size) from url`` for each file."""
        return "; ".join(f"{f.name} ({_size(f.size)}) from {f.url}" for f in self.files)


def _size(size: int | None) -> str:
    if size is None:
        return "size unknown"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"
