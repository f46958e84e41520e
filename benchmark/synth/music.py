"""Random but musical General MIDI parts: melodies, chord comping, bass lines and drum patterns.

Everything draws from a ``numpy.random.Generator``, so a seed fixes every note.
"""

from __future__ import annotations

from dataclasses import dataclass

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


CYMBALS = (49, 51, 52, 55, 57)  # GM drum keys: crash 1, ride 1, Chinese, splash, crash 2


@dataclass(frozen=True)
class Voice:
    """How an instrument plays in a stand-in: 0-based GM ``program``, pitch range ``low``-``high`` (MIDI),
    whether it also comps chords, and for percussion the GM drum keys it strikes (``program`` unused)."""

    program: int
    low: int = 0
    high: int = 127
    comps: bool = False
    drums: tuple[int, ...] = ()


def cymbal_part(rng: np.random.Generator, keys: tuple[int, ...], seconds: float, beat: float) -> pretty_midi.Instrument:
    """Cymbal strikes from ``keys`` on every second beat, on the GM drum channel."""
    part = pretty_midi.Instrument(program=0, is_drum=True)
    time = 0.0
    while time < seconds:
        part.notes.append(pretty_midi.Note(
            velocity=int(rng.integers(70, 120)), pitch=int(rng.choice(keys)), start=time, end=time + 0.5,
        ))
        time += 2 * beat
    return part


def perform(
    rng: np.random.Generator, voice: Voice, seconds: float, beat: float, root: int, mode: tuple[int, ...],
    velocity: tuple[int, int] = (90, 127),
) -> list[pretty_midi.Instrument]:
    """The MIDI parts of one instrument playing for ``seconds``: a melody (plus chords when it comps), a
    drum-kit pattern, or cymbal strikes."""
    if voice.drums == (DRUM_KICK, DRUM_SNARE, DRUM_HIHAT):
        return [drum_kit(rng, seconds, beat)]
    if voice.drums:
        return [cymbal_part(rng, voice.drums, seconds, beat)]
    parts = [melody(rng, voice.program, scale_pitches(root, mode, voice.low, voice.high), seconds, beat, velocity)]
    if voice.comps:
        parts.append(chords(rng, voice.program, root, mode, voice.low, seconds, beat, (60, 90)))
    return parts


KIT = Voice(0, drums=(DRUM_KICK, DRUM_SNARE, DRUM_HIHAT))
