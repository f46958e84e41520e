"""The checks ``irbench validate <embedder>`` runs on any :class:`~irbench.embedders.base.Embedder`.

Besides the shapes and timestamps HEAR's ``hear-validator`` checks (``hearvalidator/validate.py``; the
HEAR-only parts are in :mod:`irbench.embedders.hear_checks`), these check what a probe on frozen embeddings
silently depends on and HEAR does not look at:

- *batch independence*: a clip's embedding is the same alone and in a batch with other clips (originally of
  other lengths, trimmed or zero-padded to its length, as HEAR's API says batches are made); batch
  statistics (a batch norm in training mode, normalising by the batch's maximum) fail it;
- *padding independence*: a clip zero-padded to a longer batch keeps the embeddings of its frames that lie at
  least :data:`PADDING_MARGIN_MS` before its end (an audio wrapper whose attention saw the padding changed
  embeddings to cosine 0.41 this way), or the embedder's declared ``context_ms`` when that is longer;
- *determinism*: two identical calls give bit-identical output;
- *timestamps cover the clip*, at a regular hop, and *the declared sample rate is used*: a noise burst is
  found at the timestamp where it was put.

An embedder may declare ``context_ms``: how far (ms) from a frame's centre the audio its embedding depends on
reaches, half its receptive field (PANNs Cnn14's: 1431 ms). A convolutional model legitimately sees the
padding, or the clip's edge, within that reach, so the padding check compares only frames farther than it
from the clip's end, and the sample-rate check leaves out frames that close to either edge. Without it
(``None``, HEAR modules) both checks are as above.

Tolerance of the two independence checks: ``max |difference| <= RELATIVE_TOLERANCE x RMS`` of the clip's own
embeddings, 1e-3. Why: float32 carries 7 digits (eps 1.2e-7), and the same arithmetic at another batch size
only changes summation order and kernel choice. On CPU that moved a five-layer CNN with a four-layer
transformer on top by 1.4e-6 of its RMS (measured when this check was written); TF32 convolutions on a GPU
(PyTorch's default for cuDNN, 10-bit mantissas) are estimated at up to about 1e-4. A leak worth refusing
moves embeddings by percents: cosine 0.41 above, tens of percent for a division by the batch's loudest
sample. 1e-3 lies between the two, ten times the largest noise and ten times below a 1 % change.
Determinism has no tolerance: irbench's runs reproduce to the last digit on one device, so two calls must
agree bit for bit.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from irbench.embedders.base import SHA256, Embedder, EmbedderError, EmbedderOutput

RELATIVE_TOLERANCE = 1e-3
"""Batch and padding independence: largest |difference| allowed, as a fraction of the embeddings' RMS."""
PADDING_MARGIN_MS = 1000.0
"""Padding independence compares the frames whose timestamps lie at least this far before the clip's end."""
BURST_TOLERANCE_MS = 250.0
"""Sample rate: the burst's centre of change may miss its true time by this plus half a hop (ms). The
closest pair of HEAR rates, 44100 and 48000 Hz (8.8 % apart), moves a burst at 6050 ms by 490 ms."""
TIMESTAMP_LENGTHS_S = (1.07, 1.98, 4.0)
"""Clip lengths the timestamp checks use: ``hear-validator``'s."""


@dataclass(frozen=True)
class EmbedderCheck:
    """One check's result: its name, whether it passed, what was measured (readable), the headline figure
    and the tolerance it was held to (``None`` when not numeric), and advice that does not fail it."""

    name: str
    passed: bool
    found: str
    value: float | None = None
    tolerance: float | None = None
    warning: str = ""


class Outcome(NamedTuple):
    """What a check function returns; :func:`run_check` adds the check's title."""

    passed: bool
    found: str
    value: float | None = None
    tolerance: float | None = None
    warning: str = ""


def titled(title: str) -> Callable[[Callable[[Any], Outcome]], Callable[[Any], Outcome]]:
    """Give a check function the title it is reported under."""
    def decorate(function: Callable[[Any], Outcome]) -> Callable[[Any], Outcome]:
        function.title = title
        return function

    return decorate


def run_check(check: Callable[[Any], Outcome], subject: Any) -> EmbedderCheck:
    """``check(subject)`` as an :class:`EmbedderCheck`; an exception (the embedder's own, or a contract breach)
    is a failed check saying what was raised."""
    try:
        outcome = check(subject)
    except Exception as error:
        outcome = Outcome(False, f"{type(error).__name__}: {error}")
    return EmbedderCheck(check.title, *outcome)


def noise(seconds: float, sample_rate: int, seed: int, amplitude: float = 0.5) -> np.ndarray:
    """``round(seconds * sample_rate)`` float32 samples of seeded uniform noise in ``[-amplitude, amplitude]``."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(-amplitude, amplitude, round(seconds * sample_rate))).astype(np.float32)


def fit(clip: np.ndarray, samples: int) -> np.ndarray:
    """``clip`` trimmed or zero-padded at its end to ``samples`` samples (HEAR: "padded/trimmed")."""
    return clip[:samples] if len(clip) >= samples else np.pad(clip, (0, samples - len(clip)))


def compare(reference: np.ndarray, other: np.ndarray) -> tuple[float, float, float]:
    """``(max |difference|, that / RMS of reference, lowest cosine over frames)`` of two ``(frames, D)``
    embeddings; the ratio is 0 for identical all-zero embeddings and infinite for a change of zeros."""
    difference = float(np.abs(reference.astype(np.float64) - other).max())
    rms = float(np.sqrt(np.mean(np.square(reference, dtype=np.float64))))
    relative = difference / rms if rms > 0 else (0.0 if difference == 0 else float("inf"))
    norms = np.linalg.norm(reference, axis=-1) * np.linalg.norm(other, axis=-1)
    dots = np.sum(reference.astype(np.float64) * other, axis=-1)
    cosine = np.where(norms > 0, dots / np.where(norms > 0, norms, 1), np.where(dots == 0, 1.0, 0.0))
    both_zero = (np.linalg.norm(reference, axis=-1) == 0) & (np.linalg.norm(other, axis=-1) == 0)
    return difference, relative, float(np.where(both_zero, 1.0, cosine).min())


def _agreement(what: str, reference: np.ndarray, other: np.ndarray) -> Outcome:
    difference, relative, cosine = compare(reference, other)
    return Outcome(bool(relative <= RELATIVE_TOLERANCE),
                   f"{what}: max |difference| {difference:.3g} = {relative:.3g} of the embeddings' RMS "
                   f"(tolerance {RELATIVE_TOLERANCE:g}); lowest frame cosine {cosine:.6f}",
                   relative, RELATIVE_TOLERANCE)


def context_ms(embedder: object) -> float:
    """The embedder's declared ``context_ms`` (ms, see the module docstring), 0 when it declares none or a
    value that is not a finite non-negative number."""
    value = getattr(embedder, "context_ms", None)
    try:
        value = float(value) if value is not None and not isinstance(value, bool) else 0.0
    except (TypeError, ValueError):
        return 0.0
    return value if np.isfinite(value) and value > 0 else 0.0


def hop_ms(timestamps: np.ndarray) -> float | None:
    """The mean interval between a row's timestamps (ms), ``None`` for a single frame."""
    return float(np.mean(np.diff(timestamps))) if len(timestamps) > 1 else None


class Session:
    """One validation's embedder and the clips it made, each embedding call made once."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        rate = getattr(embedder, "sample_rate", None)  # the contract check reports a bad one first
        self.sample_rate = rate if isinstance(rate, int) and rate > 0 else 0
        self._memo: dict[str, EmbedderOutput] = {}

    def clip(self, seconds: float, seed: int, amplitude: float = 0.5) -> np.ndarray:
        return noise(seconds, self.sample_rate, seed, amplitude)

    def embed(self, key: str, make: Callable[[], np.ndarray]) -> EmbedderOutput:
        """``embedder.embed(make())``, remembered under ``key``."""
        if key not in self._memo:
            self._memo[key] = self.embedder.embed(make())
        return self._memo[key]

    def lengths(self) -> list[tuple[float, EmbedderOutput]]:
        """(duration in ms, output) for two noise clips of each of :data:`TIMESTAMP_LENGTHS_S`."""
        found = []
        for i, seconds in enumerate(TIMESTAMP_LENGTHS_S):
            output = self.embed(f"length {seconds}", lambda s=seconds, i=i: np.stack(
                [self.clip(s, 10 + 2 * i), self.clip(s, 11 + 2 * i)]))
            found.append((1000.0 * round(seconds * self.sample_rate) / self.sample_rate, output))
        return found


@titled("declares name, version, sample rate, size D, weights")
def check_contract(session: Session) -> Outcome:
    """name, version, sample rate (a positive whole number of Hz), size ``D`` and weights digest declared."""
    e = session.embedder
    problems = [f"{attribute} is {getattr(e, attribute, None)!r}" for attribute, ok in (
        ("name", isinstance(getattr(e, "name", None), str) and bool(getattr(e, "name", ""))),
        ("version", isinstance(getattr(e, "version", None), str)),
        ("sample_rate", isinstance(getattr(e, "sample_rate", None), int) and e.sample_rate > 0),
        ("embedding_size", isinstance(getattr(e, "embedding_size", None), int) and e.embedding_size > 0),
        ("weights_sha256", getattr(e, "weights_sha256", None) is None
         or bool(SHA256.fullmatch(str(e.weights_sha256)))),
    ) if not ok]
    weights = f"weights sha256 {e.weights_sha256[:12]}..." if getattr(e, "weights_sha256", None) else "no weights file"
    found = "; ".join(problems) or f"version {e.version}, {e.sample_rate} Hz, D = {e.embedding_size}, {weights}"
    return Outcome(not problems, found)


@titled("output shapes, float32, finite (noise and silence)")
def check_output(session: Session) -> Outcome:
    """A noise clip and a silent one give ``(2, frames, D)`` float32, finite, and ``(2, frames)`` timestamps."""
    sr = session.sample_rate
    try:
        output = session.embed("noise and silence", lambda: np.stack([session.clip(1.5, 1),
                                                                      np.zeros(round(1.5 * sr), np.float32)]))
    except EmbedderError as error:
        return Outcome(False, f"{error} (clip 0: noise, clip 1: silence)")
    return Outcome(True,
                   f"embeddings {output.embeddings.shape} {output.embeddings.dtype}, timestamps "
                   f"{output.timestamps_ms.shape} for 2 clips of 1.5 s")


@titled("timestamps cover the clip")
def check_coverage(session: Session) -> Outcome:
    """Timestamps increase, lie within the clip, start within one hop and end within two hops of its end
    (``hear-validator``: a later end "won't have embeddings for events at the end of the audio")."""
    slack = 1000.0 / session.sample_rate  # one sample
    parts, problems = [], []
    for duration, output in session.lengths():
        for row in output.timestamps_ms:
            hop = hop_ms(row)
            first, last = float(row[0]), float(row[-1])
            rules = [(first >= -slack, f"first timestamp {first:.1f} ms lies before the clip"),
                     (last <= duration + slack, f"last timestamp {last:.1f} ms lies after the clip's end")]
            if hop is not None:
                rules += [(bool(np.all(np.diff(row) > 0)), "timestamps do not increase"),
                          (first <= hop + slack, f"first timestamp {first:.1f} ms is more than one hop in"),
                          (last >= duration - 2 * hop - slack,
                           f"last timestamp {last:.1f} ms is more than two hops ({hop:.1f} ms) before the end")]
            problems += [f"{duration / 1000:.2f} s clip: {text}" for ok, text in rules
                         if not ok and f"{duration / 1000:.2f} s clip: {text}" not in problems]
        row = output.timestamps_ms[0]
        parts.append(f"{duration / 1000:.2f} s: {row[0]:.1f}-{row[-1]:.1f} ms in {len(row)} frames")
    return Outcome(not problems, "; ".join(problems[:3] or parts))


@titled("timestamps at a regular hop")
def check_regular(session: Session) -> Outcome:
    """Timestamps at a regular hop: each interval within 1 ms of the mean (``hear-validator``); a hop above
    50 ms is noted (HEAR suggests <= 50 ms for a 50 ms onset tolerance)."""
    deviation, hops = 0.0, []
    for _, output in session.lengths():
        for row in output.timestamps_ms:
            if len(row) > 1:
                steps = np.diff(row)
                deviation = max(deviation, float(np.abs(steps - steps.mean()).max()))
                hops.append(float(steps.mean()))
    if not hops:
        return Outcome(True, "one frame per clip: no hop",
                       warning="one embedding per clip: onsets cannot be placed in time")
    hop = float(np.mean(hops))
    warning = f"hop {hop:.1f} ms: HEAR suggests at most 50 ms" if hop > 50 else ""
    return Outcome(deviation <= 1.0,
                   f"hop {hop:.2f} ms, largest deviation {deviation:.3g} ms (tolerance 1 ms)",
                   deviation, 1.0, warning)


@titled("the declared sample rate is used")
def check_sample_rate(session: Session) -> Outcome:
    """The declared sample rate is used: in an 8 s clip of quiet noise, a 100 ms burst at 6.0 s is found at
    timestamp 6050 ms, within :data:`BURST_TOLERANCE_MS` plus half a hop. Found where the frames stand out:
    the centre of each frame's distance from the clip's median embedding, counted above half the way from the
    median distance to the largest (the peak's upper half: a gain the model applies to the whole clip, a
    change spread over every frame or a stray frame of the quiet noise does not move it). Frames within the
    embedder's ``context_ms`` of either edge are left out (they see the edge), while at least 3 remain.
    A model that assumes another rate puts the burst, or its timestamps, elsewhere."""
    sr = session.sample_rate
    start, stop = int(6.0 * sr), int(6.1 * sr)
    clip = session.clip(8.0, 20, amplitude=0.01)
    clip[start:stop] += session.clip((stop - start) / sr, 21, amplitude=0.5)[: stop - start]
    output = session.embed("burst 8 s", lambda: clip[None])
    expected = 1000.0 * (start + stop) / 2 / sr
    times, embeddings = output.timestamps_ms[0], output.embeddings[0].astype(np.float64)
    if len(times) < 2:
        return Outcome(True, "one frame per clip: cannot place a burst",
                       warning="one embedding per clip: the sample rate could not be checked")
    reach, duration = context_ms(session.embedder), 1000.0 * len(clip) / sr
    inner = (times >= reach) & (times <= duration - reach)
    if reach and inner.sum() >= 3:
        times, embeddings = times[inner], embeddings[inner]
    distance = np.linalg.norm(embeddings - np.median(embeddings, axis=0), axis=-1)
    typical = np.median(distance)
    weights = np.clip(distance - (typical + distance.max()) / 2, 0, None)
    if not weights.sum() > 0:
        return Outcome(False, "no frame stands out where a loud burst was added: the embeddings ignore the audio")
    found_at = float(np.sum(weights * times) / weights.sum())
    tolerance = BURST_TOLERANCE_MS + hop_ms(times) / 2
    miss = abs(found_at - expected)
    return Outcome(miss <= tolerance,
                   f"a burst at {expected:.0f} ms of an 8 s clip at {sr} Hz is found at {found_at:.0f} ms: "
                   f"off by {miss:.0f} ms (tolerance {tolerance:.0f} ms)", miss, tolerance)


@titled("two identical calls, identical output")
def check_determinism(session: Session) -> Outcome:
    """Two identical calls give bit-identical embeddings and timestamps."""
    audio = np.stack([session.clip(1.5, 30), session.clip(1.5, 31)])
    first, second = session.embedder.embed(audio), session.embedder.embed(audio.copy())
    if (first.embeddings.shape, first.timestamps_ms.shape) != (second.embeddings.shape, second.timestamps_ms.shape):
        return Outcome(False, f"shapes differ: {first.embeddings.shape} then {second.embeddings.shape}")
    difference = float(np.abs(first.embeddings.astype(np.float64) - second.embeddings).max())
    moved = float(np.abs(first.timestamps_ms - second.timestamps_ms).max())
    same = np.array_equal(first.embeddings, second.embeddings) and np.array_equal(first.timestamps_ms,
                                                                                   second.timestamps_ms)
    return Outcome(bool(same),
                   f"max |difference| {difference:.3g} (embeddings), {moved:.3g} ms (timestamps); "
                   "tolerance 0", difference, 0.0)


@titled("batch independence: a clip alone and in a batch")
def check_batch(session: Session) -> Outcome:
    """A 2.5 s clip alone and in the middle of a batch with a 4 s clip trimmed and a 1.2 s clip zero-padded
    to its length, each at another level: the same embeddings within :data:`RELATIVE_TOLERANCE`."""
    samples = round(2.5 * session.sample_rate)
    clip = session.clip(2.5, 40, amplitude=0.3)
    others = fit(session.clip(4.0, 41, amplitude=0.9), samples), fit(session.clip(1.2, 42, amplitude=0.6), samples)
    alone = session.embedder.embed(clip[None])
    batch = session.embedder.embed(np.stack([others[0], clip, others[1]]))
    if batch.embeddings.shape[1:] != alone.embeddings.shape[1:] or not np.allclose(
            batch.timestamps_ms[1], alone.timestamps_ms[0], atol=1e-3, rtol=0):
        return Outcome(False, f"frames differ: {alone.embeddings.shape[1]} alone, "
                              f"{batch.embeddings.shape[1]} in the batch, or their timestamps moved")
    return _agreement("2.5 s clip among clips of 4 s (trimmed) and 1.2 s (padded)",
                      alone.embeddings[0], batch.embeddings[1])


@titled("padding independence: a clip padded into a longer batch")
def check_padding(session: Session) -> Outcome:
    """A 4 s clip alone and zero-padded to 6 s beside a loud 6 s clip: its frames at least
    :data:`PADDING_MARGIN_MS` (or the embedder's longer ``context_ms``) before its end keep their embeddings
    within :data:`RELATIVE_TOLERANCE`."""
    sr = session.sample_rate
    clip = session.clip(4.0, 50, amplitude=0.3)
    alone = session.embedder.embed(clip[None])
    padded = session.embedder.embed(np.stack([fit(clip, round(6.0 * sr)), session.clip(6.0, 51, amplitude=0.9)]))
    margin = max(PADDING_MARGIN_MS, context_ms(session.embedder))
    limit = 1000.0 * len(clip) / sr - margin
    times, padded_times = alone.timestamps_ms[0], padded.timestamps_ms[0]
    keep = np.flatnonzero(times <= limit)
    if len(keep) == 0:
        return Outcome(False, f"no frame of the 4 s clip lies {margin:.0f} ms before its "
                              "end: cannot compare")
    nearest = np.abs(padded_times[None, :] - times[keep, None]).argmin(axis=1)
    offset = float(np.abs(padded_times[nearest] - times[keep]).max())
    if offset > 1.0:
        return Outcome(False, f"padding moves the clip's timestamps (by up to {offset:.1f} ms): its "
                              "frames change with the length of the batch", offset, 1.0)
    return _agreement(f"4 s clip padded to 6 s, {len(keep)} frames up to {limit:.0f} ms",
                      alone.embeddings[0, keep], padded.embeddings[0, nearest])


BASIC_CHECKS: tuple[Callable[[Session], Outcome], ...] = (check_contract, check_output)
"""Checks the others need: when one fails, the rest are not run."""
CHECKS: tuple[Callable[[Session], Outcome], ...] = (
    check_coverage, check_regular, check_sample_rate, check_determinism, check_batch, check_padding)
"""The behavioural checks, in the order they are reported."""


def run_embedder_checks(embedder: Embedder) -> list[EmbedderCheck]:
    """Every check of this module on ``embedder``, in order; a failure of the contract or output check stops
    the rest. Never raises for the embedder's faults: they are failed checks."""
    return run_checks(Session(embedder), BASIC_CHECKS, CHECKS)


def run_checks(session: Any, basic: tuple, behavioural: tuple) -> list[EmbedderCheck]:
    """Run ``basic`` checks in order, stopping at the first failure (nothing else can be measured), then every
    ``behavioural`` one; each a function of ``session`` (see :func:`run_check`)."""
    results = []
    for check in basic:
        results.append(run_check(check, session))
        if not results[-1].passed:
            return results
    return results + [run_check(check, session) for check in behavioural]


def report_lines(checks: list[EmbedderCheck], width: int = 80) -> list[str]:
    """Each check as ``ok``/``FAILED`` and its name, then what was found (and any note) indented, wrapped to
    ``width`` columns; the last lines count them and name the failed ones."""
    lines = []
    for check in checks:
        lines.append(f"{'ok' if check.passed else 'FAILED':<8}{check.name}")
        for text in (check.found, f"note: {check.warning}" if check.warning else ""):
            if text:
                lines += textwrap.wrap(text, width, initial_indent=" " * 8, subsequent_indent=" " * 10)
    failed = [c.name.split(":")[0] for c in checks if not c.passed]
    summary = (f"{len(failed)} of {len(checks)} checks FAILED: {', '.join(failed)}" if failed
               else f"all {len(checks)} checks ok")
    return lines + textwrap.wrap(summary, width, subsequent_indent=" " * 2)
