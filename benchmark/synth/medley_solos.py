"""Medley-solos-DB stand-in: solo clips of the 8 instruments in the official layout and formats.

``audio/Medley-solos-DB_{subset}-{instrument_id}_{uuid4}.wav``: mono, 44.1 kHz, 32-bit float, exactly
131,072 samples; ``annotation/Medley-solos-DB_metadata.csv`` with ``subset,instrument,instrument_id,
song_id,uuid4`` (release 1.2's header). Three clips share a song, and subsets are song-disjoint as in the
official split. ``full`` has the real subset sizes (5,841 / 3,494 / 12,236) spread evenly over the classes.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from irbench.atomic import atomic_path, atomic_write_text
from irbench.synth import music
from irbench.synth.base import StandInGenerator
from irbench.synth.music import Voice
from irbench.synth.render import mix, render
from irbench.tasks.medley_solos import INSTRUMENTS, METADATA_FILE, audio_path

SAMPLE_RATE = 44_100
N_SAMPLES = 131_072
VOICES = (
    Voice(71, 50, 84), Voice(30, 40, 79, True), Voice(53, 57, 79), Voice(73, 60, 93), Voice(0, 36, 96, True),
    Voice(66, 44, 72), Voice(56, 55, 82), Voice(40, 55, 93),
)
SUBSET_SIZES = {"tiny": (48, 24, 48), "small": (240, 120, 240), "full": (5841, 3494, 12236)}
SUBSETS = ("training", "validation", "test")


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

    def plan(self, scale: str) -> list[SoloPlan]:
        """Clips per subset spread evenly over the 8 instruments, three per song."""
        rng = np.random.default_rng([self.seed, 0])
        plans: list[SoloPlan] = []
        song = 0
        for subset, total in zip(SUBSETS, SUBSET_SIZES[scale]):
            for instrument in range(len(INSTRUMENTS)):
                count = total // len(INSTRUMENTS) + (instrument < total % len(INSTRUMENTS))
                for k in range(count):
                    song += k % 3 == 0
                    plans.append(SoloPlan(subset, instrument, song, str(uuid.UUID(bytes=rng.bytes(16), version=4)),
                                          len(plans)))
        return plans

    def render(self, plan: SoloPlan, out: Path) -> None:
        """One solo clip, mono float32."""
        path = audio_path(out, plan.subset, plan.instrument_id, plan.uuid4)
        if path.exists():
            return
        rng = np.random.default_rng([self.seed, 1, plan.index])
        seconds = N_SAMPLES / SAMPLE_RATE
        tempo = float(rng.uniform(60, 140))
        mode = music.MAJOR if rng.random() < 0.6 else music.MINOR
        parts = music.perform(rng, VOICES[plan.instrument_id], seconds, 60 / tempo, int(rng.integers(0, 12)), mode)
        stereo = render(music.song(parts, tempo), self.soundfont, SAMPLE_RATE, N_SAMPLES)
        audio = mix([stereo.mean(axis=1, keepdims=True)], [0.0], peak=float(rng.uniform(0.3, 0.95)))
        with atomic_path(path) as temporary:
            soundfile.write(temporary, audio[:, 0], SAMPLE_RATE, subtype="FLOAT", format="WAV")

    def finish(self, plans: list[SoloPlan], out: Path) -> dict[str, int]:
        """The metadata CSV (release 1.2 header)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["subset", "instrument", "instrument_id", "song_id", "uuid4"])
        for p in plans:
            writer.writerow([p.subset, INSTRUMENTS[p.instrument_id], p.instrument_id, p.song_id, p.uuid4])
        atomic_write_text(out / METADATA_FILE, buffer.getvalue())
        counts = {s: sum(p.subset == s for p in plans) for s in SUBSETS}
        return {"n_train": counts["training"], "n_validation": counts["validation"], "n_test": counts["test"]}
