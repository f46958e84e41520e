"""Datasets that mirdata knows (IRMAS, Medley-solos-DB, OpenMIC-2018): fetched by mirdata's ``download``
(archives checked against its MD5s) and checked by mirdata's own ``validate`` against its index.

mirdata keeps a dataset's remote index in its package folder; irbench keeps it with the data
(``data_home/mirdata_indexes/``), which needs mirdata's private ``Index`` attributes (``remote``,
``indexes_dir``, ``get_path``). irbench is tested with mirdata 1.0.x; another version that lacks them is
refused with a message rather than a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from irbench.errors import IrbenchError
from irbench.data.resources import ChecksumResult, Source

INDEX_FOLDER = "mirdata_indexes"
TESTED_MIRDATA = "1.0"  # the minor version whose private attributes irbench uses


def mirdata_dataset(name: str, data_home: Path):
    """``mirdata.initialize(name, data_home)`` with its remote index redirected into
    ``data_home/mirdata_indexes/``.

    Raises ``IrbenchError`` when the installed mirdata lacks the index attributes irbench relies on."""
    import mirdata

    dataset = mirdata.initialize(name, data_home=str(data_home))
    index = dataset._index_data  # private: see the module docstring
    if not all(hasattr(index, attribute) for attribute in ("remote", "indexes_dir", "get_path", "filename")):
        raise IrbenchError(f"mirdata {mirdata.__version__} keeps its dataset indexes differently from the "
                           f"{TESTED_MIRDATA}.x releases irbench is tested with; install 'mirdata>=1.0,<1.1'")
    if index.remote is not None:
        index.indexes_dir = str(Path(data_home) / INDEX_FOLDER)
        index.remote.destination_dir = index.indexes_dir
        dataset.index_path = index.get_path()
    return dataset


def _paths(found) -> list[str]:
    """Every path in mirdata's nested ``{group: {id: [path, ...]}}`` answer of ``validate``."""
    if isinstance(found, dict):
        return [path for value in found.values() for path in _paths(value)]
    if isinstance(found, (list, tuple)):
        return [path for value in found for path in _paths(value)]
    return [found] if isinstance(found, str) else []


def _listed(index) -> set[str]:
    """Relative paths of every file entry (``[path, md5]``) in a loaded mirdata index."""
    if isinstance(index, dict):
        return {path for value in index.values() for path in _listed(value)}
    if (isinstance(index, list) and len(index) == 2 and isinstance(index[0], str)
            and (index[1] is None or (isinstance(index[1], str) and len(index[1]) == 32))):  # [path, md5]
        return {index[0]}
    return set()


@dataclass(frozen=True)
class MirdataSource(Source):
    """A dataset in mirdata under ``name`` (``irmas``, ``medley_solos_db``, ``openmic2018``)."""

    name: str
    uses_index = True

    def fetch(self, destination: Path, progress: bool = True) -> None:
        """mirdata's ``download`` into ``destination``, archives removed after unpacking."""
        mirdata_dataset(self.name, destination).download(cleanup=True)

    def index_path(self, destination: Path) -> Path:
        """Where ``irbench data download`` leaves mirdata's index for this dataset."""
        return Path(mirdata_dataset(self.name, destination).index_path)

    def check(self, destination: Path, index: Path | None = None) -> ChecksumResult | None:
        """mirdata's ``validate`` over the index at ``index`` (default: the downloaded one); ``None`` when
        no index is at hand.

        Raises ``IrbenchError`` naming the index when it is missing (given explicitly) or not a mirdata index.
        """
        destination = Path(destination)
        dataset = mirdata_dataset(self.name, destination)
        if index is not None:
            dataset.index_path = str(index)
        path = Path(dataset.index_path)
        if not path.exists():
            if index is not None:
                raise IrbenchError(f"{index}: no such mirdata index")
            return None
        try:
            listed = _listed(dataset._index)  # mirdata reads it once; validate() reuses it
            if not listed:
                raise ValueError("no tracks or metadata files listed")
            missing, invalid = dataset.validate(verbose=False)
        except (OSError, ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
            raise IrbenchError(f"{path} is not a readable mirdata index ({error})") from error

        def relative(local: str) -> str:
            return Path(os.path.relpath(local, destination)).as_posix()

        absent = sorted({relative(p) for p in _paths(missing)})
        differ = sorted({relative(p) for p in _paths(invalid)})
        return ChecksumResult(
            reference=f"mirdata's index {path.name}",
            checked=sorted({relative(os.path.join(destination, p)) for p in listed} - set(absent)),
            invalid=[(name, f"MD5 differs from mirdata's index {path.name}") for name in differ],
            missing=absent,
        )

    def describe(self) -> str:
        """``mirdata dataset <name>``."""
        return f"mirdata dataset {self.name!r} (archives from its remotes, checked against its MD5s)"
