"""The tiny-tones "release": the archive the example task downloads, built byte for byte the same everywhere.

A real plugin points its ``RemoteFile`` at a file someone publishes (a Zenodo record, a GitHub release) and
pins the checksum listed there. This example has no server, so its archive is made here, from integers only
(no random generator, no floating point), and its SHA-256 is pinned in ``tones.CARD``; publish the output of
``python -m irbench_example_plugin.tones_release tiny-tones-1.0.tar`` and put its URL in the card to make the
example download for real. The tests serve these bytes with the network layer replaced.

Content: ``tiny-tones/labels.csv`` (``file,split,label``) and ``tiny-tones/audio/<split>-<nn>.wav``: 8 kHz,
mono, 16-bit, exactly 1 s; half square waves, half sawtooth waves, at integer periods and levels.
"""

from __future__ import annotations

import io
import struct
import sys
import tarfile
import wave
from pathlib import Path

from irbench_example_plugin.tones import FRAMES, LABELS, LABELS_FILE, SAMPLE_RATE, SPLITS, audio_name

TOP_FOLDER = "tiny-tones"


def tone(label: str, period: int, level: int) -> list[int]:
    """``FRAMES`` int16 samples of a square or sawtooth wave of ``period`` samples and peak ``level``."""
    if label == "square":
        return [level if (n % period) * 2 < period else -level for n in range(FRAMES)]
    return [(2 * level * (n % period)) // period - level for n in range(FRAMES)]


def wav_bytes(samples: list[int]) -> bytes:
    """A 16-bit mono WAV file at ``SAMPLE_RATE`` holding ``samples``."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return buffer.getvalue()


def release_files() -> dict[str, bytes]:
    """Relative path (under ``tiny-tones/``) -> bytes of every file of the release."""
    files: dict[str, bytes] = {}
    rows = ["file,split,label"]
    clip = 0
    for split, count in SPLITS.items():
        for number in range(count):
            label = LABELS[number % len(LABELS)]
            name = audio_name(split, number)
            files[name] = wav_bytes(tone(label, period=16 + 3 * clip, level=6000 + 900 * (clip % 7)))
            rows.append(f"{name},{split},{label}")
            clip += 1
    files[LABELS_FILE] = ("\n".join(rows) + "\n").encode()
    return files


def build_release() -> bytes:
    """The release archive: an uncompressed POSIX tar with fixed metadata, members in sorted order."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, content in sorted(release_files().items()):
            info = tarfile.TarInfo(f"{TOP_FOLDER}/{name}")
            info.size, info.mtime, info.mode, info.uid, info.gid = len(content), 0, 0o644, 0, 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    """``python -m irbench_example_plugin.tones_release OUT.tar``: write the release archive."""
    target = Path((argv if argv is not None else sys.argv[1:])[0])
    target.write_bytes(build_release())


if __name__ == "__main__":
    main()
