"""IRMAS stand-in: the official layout, names and formats, with audio rendered from a GM SoundFont.

Training clips: 3.0 s, 44.1 kHz, 16-bit stereo WAV in ``IRMAS-TrainingData/<cls>/``; the predominant
instrument plays a melody (plus chords for keyboards and guitars) at full level, 0-3 other instruments and
an optional bass line accompany it 10-20 dB lower, and drums (tag ``[dru]``) play on some clips. Names follow
both real patterns: ``NNN__[cls][dru|nod][genre]SSSS__E.wav`` and ``[cls][genre]SSSS__E.wav``; three
excerpts share a song number, like most of IRMAS's recordings (real: 2,157 of 2,257 songs have 3, the rest
1-2; mirdata's full index); at scale ``micro`` one, so each class's two clips are two recordings.
Test clips: 5-20 s with 1-3 labelled instruments at similar levels, in ``IRMAS-TestingData-Part{1,2,3}``
(Part2's inner folder is ``IRTestingData-Part2`` as in the real archive), labels in ``.txt`` with one label
and a TAB per line. Test excerpts come in tracks, named ``<NN> - Stand-in Piece No. <track>-<n>.wav`` (the
loader's group is the name before ``-<n>``; ``n`` runs over the track's excerpts with gaps, as in the real
names). The excerpts per track follow the real ones (``REAL_TEST_TRACKS``: all 2,874 real test names of
mirdata's full IRMAS index, commit ba0a9023, grouped by that rule: 208 tracks, 1-47 excerpts, median 12,
none spanning two parts). ``full`` takes every real track size of each part (807 / 1,301 / 766 excerpts in
58 / 97 / 53 tracks, so 208 bootstrap units); a smaller scale keeps the real excerpts-per-track ratio, with
at least ``MIN_TEST_TRACKS`` tracks per part (tiny: 6 tracks of 24 excerpts, small: 16 of 220), sizes drawn
from the real ones and rescaled to the part's count. A track fixes its genre, drums, tempo, key and a pool
of 2-4 instruments (no more than it has excerpts) that its excerpts' labels are drawn from, every pool member
labelling at least one excerpt, so excerpts of one track are correlated as in real recordings; pools are
dealt from shuffled decks of the 11 labels, so every class is in the test set at every scale but micro (its
6 test clips hold 6 classes). Deviations: the real label mix, excerpt lengths and tempo changes within a
track are not reproduced (lengths are uniform in 5-20 s); a training song's three excerpts are still
rendered independently.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from irbench.store.atomic import atomic_path, atomic_write_text
from irbench.synth import music
from irbench.synth.base import IN_PROGRESS, StandInGenerator, apportion
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
    "micro": ({label: 2 for label in LABELS}, (2, 2, 2)),
    "tiny": ({label: 12 for label in LABELS}, (8, 8, 8)),
    "small": ({label: 60 for label in LABELS}, (70, 80, 70)),
    "full": (FULL_TRAINING, (807, 1301, 766)),
}
TEST_FOLDERS = ("Part1", "IRTestingData-Part2", "Part3")
# Excerpts per real test track, per part, sorted (mirdata's full index; see the module docstring).
REAL_TEST_TRACKS: tuple[tuple[int, ...], ...] = (
    (47, 30, 28, 27, 26, 26, 24, 23, 23, 22, 22, 21, 20, 19, 19, 19, 18, 17, 17, 16, 15, 15, 14, 14, 13, 13, 13,
     12, 12, 12, 12, 12, 11, 11, 10, 10, 10, 10, 10, 10, 10, 8, 8, 8, 7, 7, 7, 6, 6, 6, 5, 5, 5, 5, 5, 4, 1, 1),
    (45, 45, 31, 29, 26, 25, 21, 20, 20, 19, 19, 19, 18, 18, 17, 17, 17, 16, 16, 16) + (15,) * 10 + (14,) * 9
    + (13,) * 7 + (12,) * 11 + (11,) * 10 + (10,) * 7 + (9,) * 7 + (8,) * 4 + (7,) * 7 + (6, 6, 6, 4, 2),
    (40, 35, 29, 28, 27, 24, 24, 22, 21, 20, 20, 19, 19, 18, 18, 17, 16, 16, 16, 16, 16, 15, 15, 14, 14, 14, 13,
     13, 13, 12, 11, 11, 10, 10, 10, 9, 9, 9, 9, 9, 9, 8, 8, 8, 8, 7, 7, 7, 7, 6, 5, 3, 2),
)
# Training excerpts per song (the real files come in songs of about three); at micro one, so the two clips
# per class are two recordings and one of them can go to validation.
EXCERPTS_PER_SONG = {"micro": 1}
MIN_TEST_TRACKS = 2  # per part, so a tiny stand-in still has bootstrap units to resample
__all__ = ["IN_PROGRESS", "IrmasStandIn", "REAL_TEST_TRACKS", "SCALES", "label_text", "synthesise_irmas",
           "track_sizes"]


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
    recording: int  # the test track (``-<n>`` names share it) or training song number


def track_sizes(count: int, real: tuple[int, ...], rng: np.random.Generator) -> list[int]:
    """Excerpts per track for one test part of ``count`` excerpts, modelled on the ``real`` sizes.

    ``count == sum(real)`` (full scale) gives the real sizes in a random order; otherwise
    ``max(MIN_TEST_TRACKS, round(count * len(real) / sum(real)))`` tracks with sizes drawn from ``real``
    without replacement and rescaled (:func:`apportion`, at least 1 excerpt each) to sum to ``count``.
    """
    n_tracks = len(real) if count == sum(real) else max(MIN_TEST_TRACKS, round(count * len(real) / sum(real)))
    drawn = rng.choice(np.array(real), size=n_tracks, replace=n_tracks > len(real))
    return apportion(drawn, count)


def _deal_pool(rng: np.random.Generator, deck: list[str], size: int) -> list[str]:
    """``size`` distinct labels for one test track, taken in order from ``deck`` (refilled with a shuffled
    copy of the 11 labels when it runs short), so the classes take turns joining pools."""
    pool: list[str] = []
    while len(pool) < size:
        fresh = [x for x in deck if x not in pool]
        if not fresh:
            deck.extend(str(x) for x in rng.permutation(LABELS))
            continue
        pool.append(fresh[0])
        deck.remove(fresh[0])
    return pool


def label_text(labels: tuple[str, ...]) -> str:
    """A test clip's ``.txt``: one label per line, each followed by a TAB (as in the real files)."""
    return "".join(f"{label}\t\n" for label in labels)


class IrmasStandIn(StandInGenerator):
    """Writes an IRMAS stand-in; see the module docstring."""

    dataset = "irmas"
    real_data_probe = TRAINING_FOLDER
    layout = 2  # 2: test excerpts grouped in tracks (1: one track per excerpt)

    def plan(self, scale: str) -> list[ClipPlan]:
        """File names, labels, lengths and tags of every clip at ``scale``."""
        training_counts, test_parts = SCALES[scale]
        rng = np.random.default_rng([self.seed, 0])
        plans: list[ClipPlan] = []
        song = 0
        per_song = EXCERPTS_PER_SONG.get(scale, 3)
        for label in LABELS:
            for excerpt_index in range(training_counts[label]):
                if excerpt_index % per_song == 0:
                    song += 1
                    genre = str(rng.choice(GENRES))
                    drums = genre != "cla" and bool(rng.random() < 0.5)
                    tagged = bool(rng.random() < 0.6)
                tags = f"{song % 1000:03d}__[{label}][{'dru' if drums else 'nod'}]" if tagged else f"[{label}]"
                name = f"{tags}[{genre}]{song:04d}__{excerpt_index % per_song + 1}.wav"
                plans.append(ClipPlan(f"{TRAINING_FOLDER}/{label}/{name}", (label,), TRAINING_SECONDS, drums,
                                      genre, len(plans), False, song))
        track, deck = 0, []  # deck: labels not yet given to a track's pool, so every class is in the test set
        for part, (count, folder, real) in enumerate(zip(test_parts, TEST_FOLDERS, REAL_TEST_TRACKS), start=1):
            for size in track_sizes(count, real, rng):
                track += 1
                pool = _deal_pool(rng, deck, min(size, int(rng.integers(2, 5))))
                genre = str(rng.choice(GENRES))
                drums = genre != "cla" and bool(rng.random() < 0.4)
                title = f"{int(rng.integers(1, 21)):02d} - Stand-in Piece No. {track}"
                span = size + int(rng.integers(0, size // 3 + 1))  # real excerpt numbers have gaps
                numbers = sorted(rng.choice(np.arange(1, span + 1), size=size, replace=False))
                for j, number in enumerate(numbers):  # excerpt j features pool[j % len(pool)]: all are heard
                    n_labels = min(len(pool), int(rng.choice([1, 2, 3], p=[0.45, 0.4, 0.15])))
                    first = pool[j % len(pool)]
                    rest = [str(x) for x in rng.choice([x for x in pool if x != first], size=n_labels - 1,
                                                       replace=False)]
                    plans.append(ClipPlan(
                        f"IRMAS-TestingData-Part{part}/{folder}/{title}-{number}.wav", tuple(sorted([first, *rest])),
                        float(rng.uniform(5.0, 20.0)), drums and bool(rng.random() < 0.9), genre, len(plans),
                        True, track,
                    ))
        return plans

    def render(self, plan: ClipPlan, out: Path) -> None:
        """Render one clip (and for a test clip its label file)."""
        path = out / plan.relative_path
        if path.exists():
            return
        rng = np.random.default_rng([self.seed, 1, plan.index])
        # a test track's excerpts share tempo, key and mode (its own generator); a training clip draws its own
        style = np.random.default_rng([self.seed, 2, plan.recording]) if plan.is_test else rng
        n_samples = int(round(plan.seconds * SAMPLE_RATE))
        tempo = float(style.uniform(70, 150))
        beat, root = 60.0 / tempo, int(style.integers(0, 12))
        mode = music.MAJOR if style.random() < 0.6 else music.MINOR
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
            atomic_write_text(path.with_suffix(".txt"), label_text(plan.labels))
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
