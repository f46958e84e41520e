"""IRMAS stand-in: the official layout, names and formats, with audio rendered from a GM SoundFont.

Training clips: 3.0 s, 44.1 kHz, 16-bit stereo WAV in ``IRMAS-TrainingData/<cls>/``; the predominant
instrument plays a melody (plus chords for keyboards and guitars) at full level, 0-3 other instruments and
an optional bass line accompany it 10-20 dB lower, and drums (tag ``[dru]``) play on some clips. Names follow
both real patterns: ``NNN__[cls][dru|nod][genre]SSSS__E.wav`` and ``[cls][genre]SSSS__E.wav``; three
excerpts share a song number, like IRMAS's excerpts of one recording.
Test clips: 5-20 s with 1-3 labelled instruments at similar levels, in ``IRMAS-TestingData-Part{1,2,3}``
(Part2's inner folder is ``IRTestingData-Part2`` as in the real archive), labels in ``.txt`` with one label
and a TAB per line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from irbench.atomic import atomic_path, atomic_write_text
from irbench.synth import music
from irbench.synth.base import IN_PROGRESS, StandInGenerator
from irbench.synth.music import Voice
from irbench.synth.render import mix, render
from irbench.tasks.irmas import GENRES, LABELS, TRAINING_FOLDER

SAMPLE_RATE = 44_100
TRAINING_SECONDS = 3.0
VOICES: dict[str, Voice] = {
    "cel": Voice(42, 36, 67), "cla": Voice(71, 50, 84), "flu": Voice(73, 60, 93), "gac": Voice(25, 40, 76, True),
    "gel": Voice(29, 40, 79, True), "org": Voice(19, 36, 84, True), "pia": Voice(0, 36, 96, True),
    "sax": Voice(65, 44, 76), "tru": Voice(56, 55, 82), "vio": Voice(40, 55, 93), "voi": Voice(52, 48, 79),
}
# Real IRMAS per-class training counts (its README) and test sizes per part (mirdata's full index).
FULL_TRAINING = dict(zip(LABELS, (388, 505, 451, 637, 760, 682, 721, 626, 577, 580, 778)))
SCALES: dict[str, tuple[dict[str, int], tuple[int, int, int]]] = {
    "tiny": ({label: 12 for label in LABELS}, (8, 8, 8)),
    "small": ({label: 60 for label in LABELS}, (70, 80, 70)),
    "full": (FULL_TRAINING, (807, 1301, 766)),
}
TEST_FOLDERS = ("Part1", "IRTestingData-Part2", "Part3")
__all__ = ["IN_PROGRESS", "IrmasStandIn", "SCALES", "synthesise_irmas"]


@dataclass(frozen=True)
class ClipPlan:
    """Everything needed to render one clip; ``index`` seeds its random generator."""

    relative_path: str
    labels: tuple[str, ...]
    seconds: float
    drums: bool
    genre: str
    index: int
    is_test: bool


class IrmasStandIn(StandInGenerator):
    """Writes an IRMAS stand-in; see the module docstring."""

    dataset = "irmas"
    real_data_probe = TRAINING_FOLDER

    def plan(self, scale: str) -> list[ClipPlan]:
        """File names, labels, lengths and tags of every clip at ``scale``."""
        training_counts, test_parts = SCALES[scale]
        rng = np.random.default_rng([self.seed, 0])
        plans: list[ClipPlan] = []
        song = 0
        for label in LABELS:
            for excerpt_index in range(training_counts[label]):
                if excerpt_index % 3 == 0:
                    song += 1
                    genre = str(rng.choice(GENRES))
                    drums = genre != "cla" and bool(rng.random() < 0.5)
                    tagged = bool(rng.random() < 0.6)
                tags = f"{song % 1000:03d}__[{label}][{'dru' if drums else 'nod'}]" if tagged else f"[{label}]"
                name = f"{tags}[{genre}]{song:04d}__{excerpt_index % 3 + 1}.wav"
                plans.append(ClipPlan(f"{TRAINING_FOLDER}/{label}/{name}", (label,), TRAINING_SECONDS, drums,
                                      genre, len(plans), False))
        for part, (count, folder) in enumerate(zip(test_parts, TEST_FOLDERS), start=1):
            for number in range(count):
                n_labels = int(rng.choice([1, 2, 3], p=[0.45, 0.4, 0.15]))
                labels = tuple(sorted(rng.choice(LABELS, size=n_labels, replace=False)))
                genre = str(rng.choice(GENRES))
                name = f"{number % 20 + 1:02d} - Stand-in Piece No. {number} (take {part})-{number % 7 + 1}.wav"
                plans.append(ClipPlan(
                    f"IRMAS-TestingData-Part{part}/{folder}/{name}", labels, float(rng.uniform(5.0, 20.0)),
                    genre != "cla" and bool(rng.random() < 0.4), genre, len(plans), True,
                ))
        return plans

    def render(self, plan: ClipPlan, out: Path) -> None:
        """Render one clip (and for a test clip its label file)."""
        path = out / plan.relative_path
        if path.exists():
            return
        rng = np.random.default_rng([self.seed, 1, plan.index])
        n_samples = int(round(plan.seconds * SAMPLE_RATE))
        tempo = float(rng.uniform(70, 150))
        beat, root = 60.0 / tempo, int(rng.integers(0, 12))
        mode = music.MAJOR if rng.random() < 0.6 else music.MINOR
        leads = list(plan.labels)
        others = [] if plan.is_test else list(
            rng.choice([x for x in LABELS if x not in leads], size=int(rng.integers(0, 4)), replace=False))
        parts, gains = [], []

        def add(voice_parts, gain):
            parts.append(render(music.song(voice_parts, tempo), self.soundfont, SAMPLE_RATE, n_samples))
            gains.append(gain)

        for label in leads + others:
            lead = label in leads
            add(music.perform(rng, VOICES[label], plan.seconds, beat, root, mode, (90, 127) if lead else (50, 80)),
                float(rng.uniform(-3, 0)) if lead else float(rng.uniform(-20, -10)))
        if rng.random() < 0.5:
            add([music.bass_line(rng, root, plan.seconds, beat)], float(rng.uniform(-18, -10)))
        if plan.drums:
            add(music.perform(rng, music.KIT, plan.seconds, beat, root, mode), float(rng.uniform(-14, -8)))
        audio = mix(parts, gains, peak=float(rng.uniform(0.3, 0.9)))
        if plan.is_test:
            atomic_write_text(path.with_suffix(".txt"), "".join(f"{label}\t\n" for label in plan.labels))
        with atomic_path(path) as temporary:
            soundfile.write(temporary, audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")

    def finish(self, plans: list[ClipPlan], out: Path) -> dict[str, int]:
        """IRMAS has no index file: the names and ``.txt`` files are the annotation."""
        return {"n_train": sum(not p.is_test for p in plans), "n_test": sum(p.is_test for p in plans),
                "sample_rate": SAMPLE_RATE}


def synthesise_irmas(out: Path, scale: str = "tiny", seed: int = 0, soundfont: Path | None = None,
                     workers: int = 1, show_progress: bool = True) -> dict[str, object]:
    """Write an IRMAS stand-in under ``out``; see ``StandInGenerator.synthesise``."""
    return IrmasStandIn(seed, soundfont).synthesise(out, scale, workers, show_progress)
