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

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from irbench import __version__
from irbench.atomic import atomic_path, atomic_write_text
from irbench.errors import IrbenchError
from irbench.parallel import parallel_map
from irbench.standin import STAND_IN_MARKER, read_stand_in_marker
from irbench.synth import music
from irbench.synth.render import default_soundfont, mix, render, soundfont_sha256
from irbench.tasks.irmas import GENRES, LABELS, TRAINING_FOLDER

SAMPLE_RATE = 44_100
TRAINING_SECONDS = 3.0
# GM program (0-based), lowest and highest pitch, and whether the part also comps chords.
INSTRUMENTS: dict[str, tuple[int, int, int, bool]] = {
    "cel": (42, 36, 67, False), "cla": (71, 50, 84, False), "flu": (73, 60, 93, False),
    "gac": (25, 40, 76, True), "gel": (29, 40, 79, True), "org": (19, 36, 84, True),
    "pia": (0, 36, 96, True), "sax": (65, 44, 76, False), "tru": (56, 55, 82, False),
    "vio": (40, 55, 93, False), "voi": (52, 48, 79, False),
}
# Real IRMAS per-class training counts (its README) and test sizes per part (mirdata's full index).
FULL_TRAINING = dict(zip(LABELS, (388, 505, 451, 637, 760, 682, 721, 626, 577, 580, 778)))
FULL_TEST_PARTS = (807, 1301, 766)
SCALES: dict[str, tuple[dict[str, int], tuple[int, int, int]]] = {
    "tiny": ({label: 12 for label in LABELS}, (8, 8, 8)),
    "small": ({label: 60 for label in LABELS}, (70, 80, 70)),
    "full": (FULL_TRAINING, FULL_TEST_PARTS),
}
TEST_FOLDERS = ("Part1", "IRTestingData-Part2", "Part3")
IN_PROGRESS = ".irbench-synth-in-progress"  # present while a synthesis is unfinished (so it may resume)


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


def plan_clips(scale: str, seed: int) -> list[ClipPlan]:
    """File names, labels, lengths and tags of every clip at ``scale``, deterministic for ``seed``.

    Raises
    ------
    IrbenchError: unknown scale.
    """
    if scale not in SCALES:
        raise IrbenchError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    training_counts, test_parts = SCALES[scale]
    rng = np.random.default_rng([seed, 0])
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
            plans.append(ClipPlan(
                f"{TRAINING_FOLDER}/{label}/{name}", (label,), TRAINING_SECONDS, drums, genre, len(plans), False,
            ))
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


def render_clip(plan: ClipPlan, out: Path, seed: int, soundfont: Path) -> None:
    """Render one planned clip (and its label file) under ``out``; skip it when already written."""
    path = out / plan.relative_path
    if path.exists():
        return
    rng = np.random.default_rng([seed, 1, plan.index])
    n_samples = int(round(plan.seconds * SAMPLE_RATE))
    tempo = float(rng.uniform(70, 150))
    beat = 60.0 / tempo
    root = int(rng.integers(0, 12))
    mode = music.MAJOR if rng.random() < 0.6 else music.MINOR
    leads = list(plan.labels)
    accompaniment = [] if plan.is_test else list(
        rng.choice([x for x in LABELS if x not in leads], size=int(rng.integers(0, 4)), replace=False)
    )
    parts, gains = [], []
    for label in leads + accompaniment:
        program, low, high, comps = INSTRUMENTS[label]
        lead = label in leads
        voices = [music.melody(rng, program, music.scale_pitches(root, mode, low, high), plan.seconds, beat,
                               (90, 127) if lead else (50, 80))]
        if comps:
            voices.append(music.chords(rng, program, root, mode, low, plan.seconds, beat, (60, 90)))
        parts.append(render(music.song(voices, tempo), soundfont, SAMPLE_RATE, n_samples))
        gains.append(float(rng.uniform(-3, 0)) if lead else float(rng.uniform(-20, -10)))
    if rng.random() < 0.5:
        parts.append(render(music.song([music.bass_line(rng, root, plan.seconds, beat)], tempo),
                            soundfont, SAMPLE_RATE, n_samples))
        gains.append(float(rng.uniform(-18, -10)))
    if plan.drums:
        parts.append(render(music.song([music.drum_kit(rng, plan.seconds, beat)], tempo),
                            soundfont, SAMPLE_RATE, n_samples))
        gains.append(float(rng.uniform(-14, -8)))
    audio = mix(parts, gains, peak=float(rng.uniform(0.3, 0.9)))
    if plan.is_test:
        atomic_write_text(path.with_suffix(".txt"), "".join(f"{label}\t\n" for label in plan.labels))
    with atomic_path(path) as temporary:
        soundfile.write(temporary, audio, SAMPLE_RATE, subtype="PCM_16", format="WAV")


class _Renderer:
    """Picklable ``render_clip`` with its fixed arguments, for worker processes."""

    def __init__(self, out: Path, seed: int, soundfont: Path):
        self.out, self.seed, self.soundfont = out, seed, soundfont

    def __call__(self, plan: ClipPlan) -> None:
        render_clip(plan, self.out, self.seed, self.soundfont)


def synthesise_irmas(
    out: Path, scale: str = "tiny", seed: int = 0, soundfont: Path | None = None, workers: int = 1,
    show_progress: bool = True,
) -> dict[str, object]:
    """Write an IRMAS stand-in under ``out`` and return its marker (generator settings and counts).

    Resumes: clips already written are kept (each is written atomically and depends only on its index and
    ``seed``); the marker is written last, so a folder with a marker is complete.

    Raises
    ------
    IrbenchError: ``out`` holds real IRMAS data (no marker) or a stand-in made with other settings.
    """
    out = Path(out).expanduser().resolve()
    soundfont = Path(soundfont or default_soundfont()).expanduser().resolve()
    settings = {
        "dataset": "irmas", "scale": scale, "seed": seed, "generator": f"irbench {__version__}",
        "soundfont": soundfont.name, "soundfont_sha256": soundfont_sha256(soundfont),
    }
    marker = read_stand_in_marker(out)
    if marker is not None:
        if {k: marker.get(k) for k in settings} != settings:
            raise IrbenchError(f"{out} already holds a stand-in made with other settings "
                               f"({ {k: marker.get(k) for k in settings} }); choose another --out")
        return marker
    in_progress = out / IN_PROGRESS
    if (out / TRAINING_FOLDER).is_dir() and not in_progress.exists():
        raise IrbenchError(f"{out} already holds IRMAS data that irbench did not synthesise; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    in_progress.touch()
    plans = plan_clips(scale, seed)
    parallel_map(_Renderer(out, seed, soundfont), plans, workers, f"Rendering IRMAS stand-in ({scale})",
                 show_progress)
    marker = {
        **settings,
        "n_train": sum(not p.is_test for p in plans), "n_test": sum(p.is_test for p in plans),
        "sample_rate": SAMPLE_RATE, "note": "offline stand-in rendered from a General MIDI SoundFont; not IRMAS audio",
    }
    atomic_write_text(out / STAND_IN_MARKER, json.dumps(marker, indent=2))
    in_progress.unlink(missing_ok=True)
    return marker

