"""Random but musical General MIDI parts: melodies, chord comping, bass lines and drum patterns.

Everything draws from a ``numpy.random.Generator``, so a seed fixes every note.
"""

from __future__ import annotations

import numpy as np
import pretty_midi

MAJOR = (0, 2, 4, 5, 7, 9, 11)
MINOR = (0, 2, 3, 5, 7, 8, 10)
DRUM_KICK, DRUM_SNARE, DRUM_HIHAT = 36, 38, 42


def scale_pitches(root: int, mode: tuple[int, ...], low: int, high: int) -> np.ndarray:
    """MIDI pitches of the scale on ``root`` (0-11) between ``low`` and ``high`` inclusive."""
    return np.array([p for p in range(low, high + 1) if (p - root) % 12 in mode])


def melody(
    rng: np.random.Generator, program: int, pitches: np.ndarray, seconds: float, beat: float,
    velocity: tuple[int, int],
) -> pretty_midi.Instrument:
    """A stepwise melody over ``pitches`` filling ``seconds`` (note lengths of 1/2 to 2 beats, in s)."""
    part = pretty_midi.Instrument(program=program)
    position = int(rng.integers(len(pitches) // 4, max(len(pitches) * 3 // 4, len(pitches) // 4 + 1)))
    time = 0.0
    while time < seconds:
        length = beat * float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]))
        position = int(np.clip(position + rng.integers(-2, 3), 0, len(pitches) - 1))
        part.notes.append(pretty_midi.Note(
            velocity=int(rng.integers(*velocity)), pitch=int(pitches[position]),
            start=time, end=time + length * 0.95,
        ))
        time += length
    return part


def chords(
    rng: np.random.Generator, program: int, root: int, mode: tuple[int, ...], low: int, seconds: float,
    beat: float, velocity: tuple[int, int],
) -> pretty_midi.Instrument:
    """Triads on random scale degrees, one per bar of 4 beats, from ``low`` upwards."""
    part = pretty_midi.Instrument(program=program)
    time = 0.0
    while time < seconds:
        degree = int(rng.integers(0, 7))
        for step in (0, 2, 4):
            interval = mode[(degree + step) % 7] + 12 * ((degree + step) // 7)
            part.notes.append(pretty_midi.Note(
                velocity=int(rng.integers(*velocity)), pitch=low + (root + interval) % 24,
                start=time, end=time + 4 * beat * 0.95,
            ))
        time += 4 * beat
    return part


def bass_line(rng: np.random.Generator, root: int, seconds: float, beat: float) -> pretty_midi.Instrument:
    """Root and fifth on each beat, GM electric bass (program 33), pitches 28-52."""
    part = pretty_midi.Instrument(program=33)
    time = 0.0
    while time < seconds:
        pitch = 36 + root + int(rng.choice([0, 7, 12, 5]))
        part.notes.append(pretty_midi.Note(velocity=90, pitch=min(pitch, 52), start=time, end=time + beat * 0.9))
        time += beat
    return part


def drum_kit(rng: np.random.Generator, seconds: float, beat: float) -> pretty_midi.Instrument:
    """A rock pattern on the GM drum channel: kick on 1 and 3, snare on 2 and 4, eighth-note hi-hat."""
    part = pretty_midi.Instrument(program=0, is_drum=True)
    time, count = 0.0, 0
    while time < seconds:
        hits = [DRUM_HIHAT] + ([DRUM_KICK] if count % 8 in (0, 4) else []) + ([DRUM_SNARE] if count % 8 in (2, 6) else [])
        for pitch in hits:
            part.notes.append(pretty_midi.Note(
                velocity=int(rng.integers(70, 110)), pitch=pitch, start=time, end=time + 0.1,
            ))
        time += beat / 2
        count += 1
    return part


def song(parts: list[pretty_midi.Instrument], tempo: float) -> pretty_midi.PrettyMIDI:
    """A MIDI file holding ``parts`` at ``tempo`` beats per minute."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    midi.instruments.extend(parts)
    return midi
