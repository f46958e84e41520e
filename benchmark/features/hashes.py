"""Memoised SHA-256 of audio files, so unchanged audio is not re-read on every run.

The feature cache is keyed by the SHA-256 of each audio file's bytes. Hashing a full dataset (IRMAS: 9.4 GB)
on every run costs more than the rest of a warm features stage, so the digest is stored per file together
with the file's size, modification time (nanoseconds) and inode, and reused while all three are unchanged.

What this trusts: that a file whose size, ``mtime_ns`` and inode are all unchanged has unchanged bytes, as
``make`` and ``rsync`` do. Editing a file in place through the usual tools changes its ``mtime``; a tool that
rewrites bytes and then restores the old ``mtime`` (``touch -d``, ``rsync --times`` of a different file of the
same size onto the same inode) would defeat it: ``irbench cache clear --hashes`` forgets every memoised hash.

Memo files live under ``CACHE_DIR/audio-sha256/``, one JSON file per dataset folder, written atomically.
Two runs updating the same memo at once can lose one's additions (the later write wins); that only costs
a re-hash later, never a wrong digest, since every entry is checked against the file's current ``stat``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from irbench.store.atomic import atomic_write_text
from irbench.data.hashing import file_digest

MEMO_FOLDER = "audio-sha256"
_FORMAT = 1


def _signature(stat: os.stat_result) -> list[int]:
    return [stat.st_size, stat.st_mtime_ns, stat.st_ino]


class AudioHashMemo:
    """SHA-256 digests of the audio files under one dataset folder, memoised in the cache.

    Parameters
    ----------
    cache_root: the cache directory (``--cache-dir``); the memo is ``cache_root/audio-sha256/<key>.json``
        with ``<key>`` derived from ``data_home``'s absolute path.
    data_home: the dataset folder whose files are hashed (any file may be hashed; the folder only names the
        memo file).
    """

    def __init__(self, cache_root: Path, data_home: Path):
        home = str(Path(data_home).expanduser().resolve())
        key = hashlib.sha256(home.encode()).hexdigest()[:16]
        self.path = Path(cache_root).expanduser().resolve() / MEMO_FOLDER / f"{key}.json"
        self._entries: dict[str, list] = self._read()
        self._changed = False
        self.hashed = 0  # files read in full by this memo (for the run's provenance)

    def _read(self) -> dict[str, list]:
        try:
            content = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # absent or damaged: start afresh (it is only a memo)
        if not isinstance(content, dict) or content.get("format") != _FORMAT:
            return {}
        entries = content.get("files")
        return entries if isinstance(entries, dict) else {}

    def known(self, path: Path) -> str | None:
        """The memoised digest of ``path`` if its size, mtime and inode are unchanged, else ``None``.

        Raises ``OSError`` when the file cannot be ``stat``-ed (missing)."""
        entry = self._entries.get(str(path))
        if not isinstance(entry, list) or len(entry) != 4:
            return None
        return entry[3] if entry[:3] == _signature(os.stat(path)) else None

    def remember(self, path: Path, digest: str, stat: os.stat_result | None = None) -> None:
        """Store ``digest`` for ``path`` with its current (or the given) ``stat`` signature."""
        stat = stat or os.stat(path)
        self._entries[str(path)] = [*_signature(stat), digest]
        self._changed = True

    def digest(self, path: Path) -> str:
        """SHA-256 of ``path``: memoised when unchanged, else read, hashed and remembered.

        Raises ``OSError`` when the file cannot be read."""
        found = self.known(path)
        if found is not None:
            return found
        before = os.stat(path)
        digest = file_digest(path, "sha256")
        self.hashed += 1
        if _signature(os.stat(path)) == _signature(before):  # not modified while being read
            self.remember(path, digest, before)
        return digest

    def save(self) -> None:
        """Write the memo atomically if anything changed, merged with entries another run added meanwhile.

        A cache folder that cannot be written leaves the memo unsaved (a later run re-hashes); it never fails
        the run."""
        if not self._changed:
            return
        merged = {**self._read(), **self._entries}
        try:
            atomic_write_text(self.path, json.dumps({"format": _FORMAT, "files": merged}, separators=(",", ":")))
        except OSError:
            return
        self._entries, self._changed = merged, False

