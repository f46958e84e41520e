"""Downloading: a loop over the remote sources a task's dataset card or a weights declaration names.

``irbench data download NAME`` takes a task (its dataset goes to ``--data-home``) or a weights name such as
``cnn14-weights`` (its file goes to ``<cache>/weights/``). What to fetch and how to check it comes from the
declarations (:mod:`irbench.data.datasets`, :mod:`irbench.data.weights`); every extraction runs inside
:func:`safe_extraction`. The only code in irbench that touches the network.
"""

from __future__ import annotations

import difflib
import tarfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from irbench.errors import IrbenchError, UnknownNameError, UnsafeArchiveError
from irbench.data.resources import Source


@dataclass(frozen=True)
class Target:
    """What ``irbench data download/verify NAME`` works on: ``kind`` (``dataset`` or ``weights``), the
    declared ``sources`` and the folder they go to."""

    name: str
    kind: str
    sources: tuple[Source, ...]
    destination: Path


def resolve(name: str, data_home: Path | None = None, cache_dir: Path | None = None) -> Target:
    """The download target called ``name``: a registered weights declaration, else a task's dataset card.

    Raises
    ------
    UnknownNameError: neither a weights name nor a task (suggests the nearest names).
    IrbenchError: a task without a card or without sources, or a dataset without ``data_home``.
    """
    from irbench.data import weights
    from irbench.tasks import get_task

    if name in weights.WEIGHTS:
        return Target(name, "weights", weights.WEIGHTS.get(name).sources, weights.weights_folder(cache_dir))
    require_known(name)
    card = get_task(name).metadata.card
    if card is None or not card.sources:
        raise IrbenchError(f"task {name!r} declares no remote files (its TaskMetadata.card has no sources): "
                           "there is nothing to download")
    if data_home is None:
        raise IrbenchError(f"{name} is a dataset: say where it goes with --data-home")
    return Target(name, "dataset", card.sources, Path(data_home).expanduser().resolve())


def require_known(name: str) -> None:
    """Raise ``UnknownNameError`` (nearest names suggested) unless ``name`` is a task or weights name."""
    from irbench.data import weights
    from irbench.tasks import TASKS

    if name in TASKS or name in weights.WEIGHTS:
        return
    known = sorted({*TASKS.names(), *weights.WEIGHTS.names()})
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownNameError(f"unknown dataset or weights {name!r}.{hint} Known: {', '.join(known)}.")


def download(name: str, data_home: Path | None = None, cache_dir: Path | None = None,
             progress: bool = True) -> list[Path]:
    """Fetch and check ``name``'s files (a task's dataset into ``data_home``, weights into
    ``<cache_dir>/weights``); returns the top-level paths the destination holds.

    mirdata's dataset index is kept in ``data_home/mirdata_indexes/`` (not inside mirdata's own package
    folder), where ``irbench data verify`` finds it to check every file's MD5.

    Raises
    ------
    UnknownNameError, IrbenchError: see :func:`resolve`; also a failed download, a checksum mismatch (mirdata's
        and pooch's errors are reported with their message) or an archive member that would be written
        outside the destination.
    """
    target = resolve(name, data_home, cache_dir)
    try:
        target.destination.mkdir(parents=True, exist_ok=True)
        with safe_extraction():
            for source in target.sources:
                source.fetch(target.destination, progress)
    except tarfile.TarError as error:
        raise IrbenchError(f"download of {name} into {target.destination} refused an archive member: "
                           f"{error}") from error
    except (OSError, ValueError) as error:
        raise IrbenchError(f"download of {name} into {target.destination} failed: {error}") from error
    return sorted(target.destination.iterdir())


@contextmanager
def safe_extraction():
    """Make every tar extraction inside the block use ``tarfile.data_filter`` (PEP 706), whoever calls it
    (mirdata's ``untar``, pooch's ``Untar``): no member is written outside the destination, no absolute path,
    no link pointing out of it, no device file. ZIP archives need nothing: ``zipfile`` already drops ``..``
    and absolute parts of member names. Pythons without ``data_filter`` (before 3.10.12 / 3.11.4) get a check
    of every member's resolved path instead.

    mirdata extracts ZIP archives with its own ``extractall_unicode``, which joins member names to the
    folder unchecked (a member ``../../x`` lands outside it): inside the block every ZIP member name is
    checked first, and an archive with an absolute or ``..`` member is refused whole.

    Raises ``tarfile.TarError`` (``FilterError``) for an offending tar member, ``UnsafeArchiveError`` for a
    ZIP one."""
    previous_filter = tarfile.TarFile.__dict__.get("extraction_filter")  # raw, so a staticmethod stays one
    previous_extractall = tarfile.TarFile.extractall
    if hasattr(tarfile, "data_filter"):
        tarfile.TarFile.extraction_filter = staticmethod(tarfile.data_filter)
    else:
        def checked(self, path=".", members=None, **kwargs):
            root = Path(path).resolve()
            for member in members or self.getmembers():
                target = (root / member.name).resolve()
                link = (target.parent / member.linkname).resolve() if member.issym() or member.islnk() else root
                if root not in (target, *target.parents) or root not in (link, *link.parents) or member.isdev():
                    raise tarfile.TarError(f"archive member {member.name!r} would be written outside {root}")
            return previous_extractall(self, path, members, **kwargs)

        tarfile.TarFile.extractall = checked
    import mirdata.download_utils as mirdata_download

    previous_unzip = mirdata_download.extractall_unicode

    def checked_unzip(zfile, out_dir):
        for member in zfile.infolist():
            parts = PurePosixPath(member.filename.replace("\\", "/")).parts
            if member.filename.startswith(("/", "\\")) or ".." in parts or (parts and ":" in parts[0]):
                raise UnsafeArchiveError(f"{zfile.filename}: member {member.filename!r} would be written outside "
                                         f"{out_dir}; the archive was not extracted")
        return previous_unzip(zfile, out_dir)

    mirdata_download.extractall_unicode = checked_unzip
    try:
        yield
    finally:
        tarfile.TarFile.extraction_filter = previous_filter
        tarfile.TarFile.extractall = previous_extractall
        mirdata_download.extractall_unicode = previous_unzip
