"""MusicNet stand-in: multi-part pieces for MusicNet's 11 instruments with note-level label CSVs.

``{train,test}_data/<id>.wav`` (mono, 44.1 kHz, 16-bit), ``{train,test}_labels/<id>.csv`` with all seven
columns (``start_time,end_time`` in samples at 44.1 kHz, ``instrument`` the 1-based GM program, ``note`` the
MIDI pitch, ``start_beat``, ``end_beat`` as the note's length in beats, ``note_value`` such as
``Dotted Quarter``) and ``musicnet_metadata.csv``. Ensembles are drawn from MusicNet's own (string
quartet, piano trio, wind quintet, ...); each part alternates phrases and rests, so instruments enter and
leave within a piece. Test recordings take the official test ids. ``full`` has 320 + 10 recordings of
1-10 minutes (about 30 hours).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi
import soundfile

from irbench.store.atomic import atomic_path, atomic_write_text
from irbench.synth import music
from irbench.synth.base import StandInGenerator
from irbench.synth.render import mix, render
from irbench.tasks.musicnet import LABEL_COLUMNS, OFFICIAL_TEST_IDS, SAMPLE_RATE

# 1-based GM program -> pitch range
RANGES = {1: (33, 96), 7: (41, 89), 41: (55, 93), 42: (48, 81), 43: (36, 72), 44: (28, 55), 61: (41, 77),
          69: (58, 91), 71: (34, 72), 72: (50, 89), 74: (60, 96)}
ENSEMBLES = {
    "Solo Piano": (1,), "String Quartet": (41, 41, 42, 43), "Piano Trio": (1, 41, 43),
    "Wind Quintet": (74, 69, 72, 71, 61), "Solo Cello": (43,), "Violin and Harpsichord": (41, 7),
    "Accompanied Clarinet": (72, 1), "Pairs Clarinet-Horn-Bassoon": (72, 61, 71), "Solo Violin": (41,),
    "Piano Quintet": (1, 41, 41, 42, 43), "String Quintet with Bass": (41, 41, 42, 43, 44),
    "Horn Piano Trio": (61, 41, 1), "Accompanied Violin": (41, 1), "Solo Flute": (74,),
}
NOTE_VALUES = {0.25: "Sixteenth", 0.5: "Eighth", 0.75: "Dotted Eighth", 1.0: "Quarter", 1.5: "Dotted Quarter",
               2.0: "Half", 3.0: "Dotted Half", 4.0: "Whole"}
SIZES = {"micro": (3, 1, (10, 15)), "tiny": (6, 2, (20, 40)), "small": (30, 10, (30, 90)), "full": (320, 10, (60, 600))}


@dataclass(frozen=True)
class PiecePlan:
    """One recording: id, split, ensemble, length in seconds; ``index`` seeds its generator."""

    recording_id: int
    split: str
    ensemble: str
    seconds: float
    index: int


def _part(rng: np.random.Generator, program: int, seconds: float, beat: float, root: int,
          mode: tuple[int, ...]) -> tuple[pretty_midi.Instrument, list[list[object]]]:
    """One instrument's notes (phrases of 3-12 s between rests of 1-6 s) and their label rows."""
    part = pretty_midi.Instrument(program=program - 1)
    rows: list[list[object]] = []
    pitches = music.scale_pitches(root, mode, *RANGES[program])
    time = float(rng.uniform(0, 4))
    position = len(pitches) // 2
    while time < seconds:
        phrase_end = min(seconds, time + float(rng.uniform(3, 12)))
        while time < phrase_end:
            beats = float(rng.choice([0.25, 0.5, 0.75, 1.0, 1.0, 1.5, 2.0, 3.0, 4.0]))
            length = beats * beat
            position = int(np.clip(position + rng.integers(-3, 4), 0, len(pitches) - 1))
            pitch = int(pitches[position])
            part.notes.append(pretty_midi.Note(int(rng.integers(60, 110)), pitch, time, time + length * 0.95))
            rows.append([int(round(time * SAMPLE_RATE)), int(round((time + length * 0.95) * SAMPLE_RATE)),
                         program, pitch, round(time / beat, 6), round(beats * 0.95, 6), NOTE_VALUES[beats]])
            time += length
        time += float(rng.uniform(1, 6))
    return part, rows


class MusicNetStandIn(StandInGenerator):
    """Writes a MusicNet stand-in; see the module docstring."""

    dataset = "musicnet"
    real_data_probe = "train_labels"

    def plan(self, scale: str) -> list[PiecePlan]:
        """Recording ids, ensembles and lengths."""
        n_train, n_test, (shortest, longest) = SIZES[scale]
        rng = np.random.default_rng([self.seed, 0])
        names = sorted(ENSEMBLES)
        plans = [PiecePlan(1000 + i, "train", str(rng.choice(names)), float(rng.uniform(shortest, longest)), i)
                 for i in range(n_train)]
        plans += [PiecePlan(OFFICIAL_TEST_IDS[i], "test", names[i % len(names)],
                            float(rng.uniform(shortest, longest)), n_train + i) for i in range(n_test)]
        return plans

    def render(self, plan: PiecePlan, out: Path) -> None:
        """One recording and its label CSV (written first: the audio marks the pair complete)."""
        path = out / f"{plan.split}_data" / f"{plan.recording_id}.wav"
        if path.exists():
            return
        rng = np.random.default_rng([self.seed, 1, plan.index])
        tempo = float(rng.uniform(60, 140))
        beat, root = 60 / tempo, int(rng.integers(0, 12))
        mode = music.MAJOR if rng.random() < 0.6 else music.MINOR
        n_samples = int(round(plan.seconds * SAMPLE_RATE))
        parts, rows = [], []
        for program in ENSEMBLES[plan.ensemble]:
            part, part_rows = _part(rng, program, plan.seconds, beat, root, mode)
            parts.append(render(music.song([part], tempo), self.soundfont, SAMPLE_RATE, n_samples))
            rows += part_rows
        audio = mix(parts, [float(rng.uniform(-4, 0)) for _ in parts], peak=float(rng.uniform(0.4, 0.9)))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(LABEL_COLUMNS)
        writer.writerows(sorted(rows, key=lambda r: (r[0], r[2], r[3])))
        atomic_write_text(out / f"{plan.split}_labels" / f"{plan.recording_id}.csv", buffer.getvalue())
        with atomic_path(path) as temporary:
            soundfile.write(temporary, audio.mean(axis=1), SAMPLE_RATE, subtype="PCM_16", format="WAV")

    def finish(self, plans: list[PiecePlan], out: Path) -> dict[str, int]:
        """``musicnet_metadata.csv`` with the standard nine columns."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["id", "composer", "composition", "movement", "ensemble", "source", "transcriber",
                         "catalog_name", "seconds"])
        for p in sorted(plans, key=lambda p: p.recording_id):
            writer.writerow([p.recording_id, "Stand-in", f"Stand-in Piece {p.recording_id}", "1. Allegro",
                             p.ensemble, "irbench", "irbench", f"SI{p.recording_id}", int(p.seconds)])
        atomic_write_text(out / "musicnet_metadata.csv", buffer.getvalue())
        return {"n_train": sum(p.split == "train" for p in plans), "n_test": sum(p.split == "test" for p in plans)}
