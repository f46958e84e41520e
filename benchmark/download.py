"""Downloading the real datasets: mirdata for IRMAS, Medley-solos-DB and OpenMIC-2018 (archives checked
against mirdata's MD5s), pooch for MusicNet's Zenodo record (MD5s below). The only code in irbench that
touches the network, reached only through ``irbench data download``.
"""

from __future__ import annotations

import shutil
import tarfile
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from irbench.errors import IrbenchError, UnsafeArchiveError

MIRDATA_NAMES = {
    "irmas": "irmas", "medley-solos": "medley_solos_db", "medley-solos-binary": "medley_solos_db",
    "openmic": "openmic2018",
}
MUSICNET_TASKS = ("musicnet", "musicnet-instruments")
# Zenodo record 5120004 (MusicNet, v1.0): file -> (url, md5)
MUSICNET_FILES = {
    "musicnet_metadata.csv": ("https://zenodo.org/records/5120004/files/musicnet_metadata.csv?download=1",
                              "md5:1caef62cee9c875235e62aac368b49d8"),
    "musicnet.tar.gz": ("https://zenodo.org/records/5120004/files/musicnet.tar.gz?download=1",
                        "md5:844764911fa0d5b97c97da944a057590"),
}
INDEX_FOLDER = "mirdata_indexes"


def download(task: str, data_home: Path) -> list[Path]:
    """Download and check ``task``'s dataset into ``data_home``; returns the top-level paths it holds.

    mirdata's dataset index is kept in ``data_home/mirdata_indexes/`` (not inside mirdata's own package
    folder), where ``irbench data verify`` finds it to check every file's MD5.

    Raises
    ------
    IrbenchError: unknown task, a failed download, or a checksum mismatch (mirdata's and pooch's errors
        are reported with their message).
    """
    data_home = Path(data_home).expanduser().resolve()
    data_home.mkdir(parents=True, exist_ok=True)
    try:
        with safe_extraction():
            if task in MIRDATA_NAMES:
                _download_mirdata(MIRDATA_NAMES[task], data_home)
            elif task in MUSICNET_TASKS:
                _download_musicnet(data_home)
            else:
                known = ", ".join(sorted([*MIRDATA_NAMES, *MUSICNET_TASKS]))
                raise IrbenchError(f"no download for task {task!r}; known: {known}")
    except tarfile.TarError as error:
        raise IrbenchError(f"download of {task} into {data_home} refused an archive member: {error}") from error
    except (OSError, ValueError) as error:
        raise IrbenchError(f"download of {task} into {data_home} failed: {error}") from error
    return sorted(data_home.iterdir())


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


def mirdata_dataset(name: str, data_home: Path):
    """``mirdata.initialize(name, data_home)`` with its remote index redirected into ``data_home``."""
    import mirdata

    dataset = mirdata.initialize(name, data_home=str(data_home))
    index = dataset._index_data  # mirdata keeps remote indexes in its package folder; keep ours with the data
    if index.remote is not None:
        index.indexes_dir = str(data_home / INDEX_FOLDER)
        index.remote.destination_dir = index.indexes_dir
        dataset.index_path = index.get_path()
    return dataset


def _download_mirdata(name: str, data_home: Path) -> None:
    mirdata_dataset(name, data_home).download(cleanup=True)


def _download_musicnet(data_home: Path) -> None:
    import pooch

    for filename, (url, known_hash) in MUSICNET_FILES.items():
        processor = pooch.Untar(extract_dir=str(data_home)) if filename.endswith(".tar.gz") else None
        pooch.retrieve(url, known_hash=known_hash, fname=filename, path=data_home, processor=processor,
                       progressbar=True)
    nested = data_home / "musicnet"  # the archive's top folder; the task reads train_data/ at the root
    if (nested / "train_data").is_dir():
        for entry in nested.iterdir():
            target = data_home / entry.name
            if not target.exists():
                shutil.move(str(entry), target)
    (data_home / "musicnet.tar.gz").unlink(missing_ok=True)
