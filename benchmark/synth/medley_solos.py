"""Medley-solos-DB stand-in: solo clips of the 8 instruments in the official layout and formats.

``audio/Medley-solos-DB_{subset}-{instrument_id}_{uuid4}.wav``: mono, 44.1 kHz, 32-bit float, exactly
131,072 samples; ``annotation/Medley-solos-DB_metadata.csv`` with ``subset,instrument,instrument_id,
song_id,uuid4`` (release 1.2's header; song ids zero-padded to 3 digits as in the real file). ``full`` has
the real subset sizes (5,841 / 3,494 / 12,236) spread evenly over the classes.

Songs: each plays one instrument, subsets are song-disjoint, and the clips per song follow the real ones
(``REAL_SONG_SIZES``: the official metadata, release 1.1 ``track_id`` column, 21,571 rows, as copied in
``shared/data/real``): training 61 songs of 11-454 clips, validation 27 of 12-380, test 139 of 4-500, a
heavy-tailed spread. ``full`` uses every real song size of a subset (so the test bootstrap resamples 139
songs); a smaller scale keeps the real clips-per-song ratio with at least ``MIN_SONGS_PER_INSTRUMENT``
songs per instrument (tiny and small: 16 songs per subset), sizes drawn from the real ones. Songs are
dealt to instruments largest first, each to the instrument furthest below its share of clips, and each
instrument's song sizes are then rescaled to its clip count. A song fixes tempo, key, mode and level, so
clips of one song are correlated as in a real recording. Deviations: real classes are unbalanced (test:
325 tenor-saxophone to 3,167 flute clips; songs per instrument 5-29) and here every instrument has the
same clip count and about the same number of songs, so a song's size moves from the real one by the
rescaling (at full scale by at most 4% in training, 8% in validation, 1% in test).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from irbench.store.atomic import atomic_path, atomic_write_text
from irbench.synth import music
from irbench.synth.base import StandInGenerator, apportion
from irbench.synth.music import Voice
from irbench.synth.render import mix, render
from irbench.tasks.medley_solos import INSTRUMENTS, METADATA_FILE, audio_path

SAMPLE_RATE = 44_100
N_SAMPLES = 131_072
VOICES = (
    Voice(71, 50, 84), Voice(30, 40, 79, True), Voice(53, 57, 79), Voice(73, 60, 93), Voice(0, 36, 96, True),
    Voice(66, 44, 72), Voice(56, 55, 82), Voice(40, 55, 93),
)
SUBSET_SIZES = {"micro": (16, 16, 16), "tiny": (48, 24, 48), "small": (240, 120, 240), "full": (5841, 3494, 12236)}
SUBSETS = ("training", "validation", "test")
# Clips per real song, per subset, sorted (the official metadata; see the module docstring).
REAL_SONG_SIZES: dict[str, tuple[int, ...]] = {
    "training": (454, 454, 252, 238, 208, 192, 189, 180, 180, 170, 168, 166, 163, 157, 151, 147, 137, 125, 125,
                 121, 117, 104, 96, 96, 91, 78, 68, 68, 68, 68, 67, 67, 65, 61, 59, 57, 55, 53, 47, 47, 38, 38,
                 32, 26, 25, 24, 23, 23, 20, 18, 17, 17, 17, 17, 17, 17, 15, 15, 11, 11, 11),
    "validation": (380, 287, 267, 237, 234, 200, 192, 185, 130, 129, 127, 123, 114, 110, 108, 105, 102, 98, 91,
                   62, 57, 47, 41, 29, 15, 12, 12),
    "test": (500, 408, 390, 369, 297, 269, 260, 230, 211, 204, 200, 188, 175, 169, 168, 166, 165, 158, 157, 153,
             151, 149, 143, 140, 140, 139, 135, 134, 134, 133, 130, 130, 129, 126, 126, 124, 124, 119, 119, 119,
             119, 115, 114, 114, 109, 108, 106, 106, 104, 104, 103, 102, 102, 99, 98, 95, 95, 95, 94, 94, 93, 93,
             90, 88, 85, 82, 82, 82, 79, 78, 77, 74, 73, 72, 71, 69, 67, 61, 59, 53, 49, 47, 47, 46, 44, 43, 43,
             40, 39, 35, 32, 31, 31, 31, 30, 30, 29, 28, 25, 25, 21, 21, 17, 15, 15, 15, 14, 14, 14, 13, 13, 13,
             13, 13, 13, 12, 12, 11, 11, 11, 10, 10, 10, 9, 9, 9, 9, 8, 8, 8, 8, 7, 7, 7, 6, 6, 5, 5, 4),
}
MIN_SONGS_PER_INSTRUMENT = 2  # at scales below full, so every class keeps groups to resample


def song_sizes(rng: np.random.Generator, real: tuple[int, ...], quotas: list[int]) -> list[list[int]]:
    """Clips per song for each instrument of one subset, modelled on the ``real`` song sizes.

    Parameters
    ----------
    rng: the plan's generator.
    real: clips per real song of the subset.
    quotas: clips per instrument (their sum is the subset's size).

    Returns
    -------
    ``sizes[i]``: the clip counts of instrument ``i``'s songs (each >= 1, summing to ``quotas[i]``).
    """
    total, n_instruments = sum(quotas), len(quotas)
    n_songs = len(real) if total == sum(real) else max(
        MIN_SONGS_PER_INSTRUMENT * n_instruments, round(total * len(real) / sum(real)))
    drawn = rng.choice(np.array(real), size=n_songs, replace=n_songs > len(real))
    slots = apportion(quotas, n_songs)  # songs per instrument, in proportion to its clips
    room = np.array(quotas, dtype=float) * drawn.sum() / total  # each instrument's share, in real clips
    dealt: list[list[int]] = [[] for _ in quotas]
    for size in sorted(drawn.tolist(), reverse=True):
        open_ = [i for i in range(n_instruments) if len(dealt[i]) < slots[i]]
        owner = max(open_, key=lambda i: room[i])
        dealt[owner].append(size)
        room[owner] -= size
    return [apportion(sizes, quota) for sizes, quota in zip(dealt, quotas)]


@dataclass(frozen=True)
class SoloPlan:
    """One clip: subset, instrument id, song and uuid; ``index`` seeds its generator."""

    subset: str
    instrument_id: int
    song_id: int
    uuid4: str
    index: int


class MedleySolosStandIn(StandInGenerator):
    """Writes a Medley-solos-DB stand-in; see the module docstring."""

    dataset = "medley-solos"
    real_data_probe = METADATA_FILE
    layout = 2  # 2: songs sized like the real ones (1: three clips per song)

    def plan(self, scale: str) -> list[SoloPlan]:
        """Clips per subset spread evenly over the 8 instruments, in songs sized like the real ones."""
        rng = np.random.default_rng([self.seed, 0])
        plans: list[SoloPlan] = []
        song = 0
        for subset, total in zip(SUBSETS, SUBSET_SIZES[scale]):
            quotas = [total // len(INSTRUMENTS) + (i < total % len(INSTRUMENTS)) for i in range(len(INSTRUMENTS))]
            for instrument, sizes in enumerate(song_sizes(rng, REAL_SONG_SIZES[subset], quotas)):
                for size in sizes:
                    for _ in range(size):
                        key = str(uuid.UUID(bytes=rng.bytes(16), version=4))
                        plans.append(SoloPlan(subset, instrument, song, key, len(plans)))
                    song += 1
        return plans

    def render(self, plan: SoloPlan, out: Path) -> None:
        """One solo clip, mono float32."""
        path = audio_path(out, plan.subset, plan.instrument_id, plan.uuid4)
        if path.exists():
            return
        rng = np.random.default_rng([self.seed, 1, plan.index])
        style = np.random.default_rng([self.seed, 2, plan.song_id])  # shared by the song's clips
        seconds = N_SAMPLES / SAMPLE_RATE
        tempo = float(style.uniform(60, 140))
        mode = music.MAJOR if style.random() < 0.6 else music.MINOR
        root, peak = int(style.integers(0, 12)), float(style.uniform(0.3, 0.95))
        parts = music.perform(rng, VOICES[plan.instrument_id], seconds, 60 / tempo, root, mode)
        stereo = render(music.song(parts, tempo), self.soundfont, SAMPLE_RATE, N_SAMPLES)
        audio = mix([stereo.mean(axis=1, keepdims=True)], [0.0], peak=peak * float(rng.uniform(0.9, 1.0)))
        with atomic_path(path) as temporary:
            soundfile.write(temporary, audio[:, 0], SAMPLE_RATE, subtype="FLOAT", format="WAV")

    def finish(self, plans: list[SoloPlan], out: Path) -> dict[str, int]:
        """The metadata CSV (release 1.2 header)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["subset", "instrument", "instrument_id", "song_id", "uuid4"])
        for p in plans:
            writer.writerow([p.subset, INSTRUMENTS[p.instrument_id], p.instrument_id, f"{p.song_id:03d}", p.uuid4])
        atomic_write_text(out / METADATA_FILE, buffer.getvalue())
        counts = {s: sum(p.subset == s for p in plans) for s in SUBSETS}
        return {"n_train": counts["training"], "n_validation": counts["validation"], "n_test": counts["test"]}
