"""OpenMIC-2018 stand-in: 10 s OGG Vorbis excerpts with partial, crowd-style labels in the official layout.

``audio/NNN/<sample_key>.ogg`` (stereo 44.1 kHz), ``openmic-2018-aggregated-labels.csv`` with relevance
values, ``partitions/split01_{train,test}.csv``, ``class-map.json``. Each clip sounds 1-3 of the 20
instruments; its label rows cover the sounding ones (relevance 0.6-1.0) and 1-3 silent ones (relevance
0-0.3), but a sounding instrument goes unannotated with probability 0.25, so the label mask matters as in
the real data. ``full`` has the real split sizes (14,915 / 5,085).

Keys are ``<track>_<start>`` as in the real data: every excerpt comes from its own Free Music Archive track
(the loader's group), drawn without replacement from ids 1-155,320, and no track is in both partitions, like
the official split01 (14,915 + 5,085 keys of 20,000 distinct tracks, ids 46-155,311; checked on the full
partition files in ``shared/data/real``). ``<start>`` is a multiple of 3,840 as the real ones are.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from irbench.store.atomic import atomic_path, atomic_write_text
from irbench.synth import music
from irbench.synth.base import StandInGenerator
from irbench.synth.music import KIT, Voice
from irbench.synth.render import mix, render
from irbench.tasks.openmic import CLASS_MAP, LABELS, LABELS_FILE, PARTITIONS, audio_path

SAMPLE_RATE = 44_100
SECONDS = 10.0
VOICES: dict[str, Voice] = {
    "accordion": Voice(21, 48, 79, True), "banjo": Voice(105, 48, 76), "bass": Voice(33, 28, 52),
    "cello": Voice(42, 36, 67), "clarinet": Voice(71, 50, 84), "cymbals": Voice(0, drums=music.CYMBALS),
    "drums": KIT, "flute": Voice(73, 60, 93), "guitar": Voice(25, 40, 76, True),
    "mallet_percussion": Voice(12, 53, 89), "mandolin": Voice(25, 67, 93), "organ": Voice(19, 36, 84, True),
    "piano": Voice(0, 36, 96, True), "saxophone": Voice(65, 44, 76), "synthesizer": Voice(81, 48, 84),
    "trombone": Voice(57, 40, 72), "trumpet": Voice(56, 55, 82), "ukulele": Voice(24, 60, 81, True),
    "violin": Voice(40, 55, 93), "voice": Voice(53, 48, 79),
}
SPLIT_SIZES = {"tiny": (60, 20), "small": (400, 120), "full": (14915, 5085)}
MAX_TRACK_ID = 155_320  # FMA track ids of the real keys reach 155,311


@dataclass(frozen=True)
class ExcerptPlan:
    """One excerpt: key, split, sounding instruments and annotated relevances."""

    sample_key: str
    split: str
    sounding: tuple[str, ...]
    relevance: tuple[tuple[str, float], ...]
    index: int
    track: int  # the FMA track (the key's first part), one excerpt per track


class OpenMicStandIn(StandInGenerator):
    """Writes an OpenMIC-2018 stand-in; see the module docstring."""

    dataset = "openmic"
    real_data_probe = LABELS_FILE
    layout = 2  # 2: one excerpt per track, tracks split-disjoint (1: two per track, one track in both)

    def plan(self, scale: str) -> list[ExcerptPlan]:
        """Keys ``TTTTTT_SSSS`` (one excerpt per FMA-like track, tracks distinct over both splits, keys sorted
        within a split), instruments and label rows."""
        rng = np.random.default_rng([self.seed, 0])
        sizes = SPLIT_SIZES[scale]
        tracks = (rng.choice(MAX_TRACK_ID, size=sum(sizes), replace=False) + 1).tolist()
        plans: list[ExcerptPlan] = []
        for split, first, count in zip(("train", "test"), (0, sizes[0]), sizes):
            for track in sorted(tracks[first:first + count]):
                key = f"{track:06d}_{int(rng.integers(0, 32)) * 3840}"
                drawn = rng.choice(LABELS, size=int(rng.integers(1, 4)), replace=False)
                sounding = tuple(sorted(str(x) for x in drawn))
                silent = [x for x in LABELS if x not in sounding]
                annotated = [(i, round(float(rng.uniform(0.6, 1.0)), 4)) for i in sounding if rng.random() >= 0.25]
                annotated += [(str(i), round(float(rng.uniform(0.0, 0.3)), 4))
                              for i in rng.choice(silent, size=int(rng.integers(1, 4)), replace=False)]
                plans.append(ExcerptPlan(key, split, sounding, tuple(sorted(annotated)), len(plans), track))
        return plans

    def render(self, plan: ExcerptPlan, out: Path) -> None:
        """One 10 s stereo OGG Vorbis excerpt."""
        path = audio_path(out, plan.sample_key)
        if path.exists():
            return
        rng = np.random.default_rng([self.seed, 1, plan.index])
        tempo = float(rng.uniform(70, 150))
        beat, root = 60 / tempo, int(rng.integers(0, 12))
        mode = music.MAJOR if rng.random() < 0.6 else music.MINOR
        n_samples = int(SECONDS * SAMPLE_RATE)
        parts = [render(music.song(music.perform(rng, VOICES[i], SECONDS, beat, root, mode), tempo),
                        self.soundfont, SAMPLE_RATE, n_samples) for i in plan.sounding]
        audio = mix(parts, [float(rng.uniform(-6, 0)) for _ in parts], peak=float(rng.uniform(0.3, 0.9)))
        with atomic_path(path) as temporary:
            soundfile.write(temporary, audio, SAMPLE_RATE, format="OGG", subtype="VORBIS")

    def finish(self, plans: list[ExcerptPlan], out: Path) -> dict[str, int]:
        """Aggregated labels, split01 partitions and the class map."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["sample_key", "instrument", "relevance", "num_responses"])
        for plan in plans:
            for instrument, relevance in plan.relevance:
                writer.writerow([plan.sample_key, instrument, relevance, 3])
        atomic_write_text(out / LABELS_FILE, buffer.getvalue())
        for split, partition in PARTITIONS.items():
            atomic_write_text(out / partition, "".join(f"{p.sample_key}\n" for p in plans if p.split == split))
        atomic_write_text(out / CLASS_MAP, json.dumps({label: i for i, label in enumerate(LABELS)}))
        return {"n_train": sum(p.split == "train" for p in plans), "n_test": sum(p.split == "test" for p in plans)}
