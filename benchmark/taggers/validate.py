"""The checks ``irbench validate <tagger>`` runs on any :class:`~irbench.taggers.base.Tagger`.

In the manner of the embedder checks (:mod:`irbench.embedders.validate`, whose result type, runner and report
format they share), on seeded uniform noise at the tagger's declared rate:

- *contract*: name, version, sample rate (a positive whole number of Hz), weights digest, and labels: a
  non-empty tuple of unique non-empty strings;
- *output*: a noise clip and a silent one give ``(2, n_labels)`` finite scores in ``[0, 1]``;
- *the audio is used*: those two clips do not get identical scores;
- *determinism*: two identical calls give bit-identical scores;
- *batch independence*: a clip's scores are the same alone and in a batch with other clips (trimmed or
  zero-padded to its length), within :data:`~irbench.embedders.validate.RELATIVE_TOLERANCE` of the RMS of
  its scores, the embedder checks' tolerance and for the same reasons (float32 summation order moves a CNN by
  about 1e-6 of its RMS; a leak of batch statistics by percents).

A clip-level tagger has no timestamps, so whether it uses its declared sample rate cannot be read from its
output as the embedder check does (a burst found in time): the output check notes it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from irbench.embedders.validate import (
    RELATIVE_TOLERANCE,
    EmbedderCheck,
    Outcome,
    compare,
    fit,
    noise,
    run_checks,
    titled,
)
from irbench.taggers.base import Tagger, TaggerError, contract_problems

CLIP_SECONDS = 1.5
"""Length of the noise and silent clips of the output and determinism checks."""
BATCH_SECONDS = 2.5
"""Length of the clip of the batch-independence check."""


class TaggerSession:
    """One validation's tagger, the rate its clips are made at, and the scores of noise and silence."""

    def __init__(self, tagger: Tagger):
        self.tagger = tagger
        rate = getattr(tagger, "sample_rate", None)  # the contract check reports a bad one first
        self.sample_rate = rate if isinstance(rate, int) and rate > 0 else 0
        self._noise_and_silence: np.ndarray | None = None

    def clip(self, seconds: float, seed: int, amplitude: float = 0.5) -> np.ndarray:
        """``seconds`` of seeded uniform noise at the tagger's rate, float32 ``(samples,)``."""
        return noise(seconds, self.sample_rate, seed, amplitude)

    def noise_and_silence(self) -> np.ndarray:
        """``tagger.predict`` of a noise clip and a silent one of :data:`CLIP_SECONDS`, ``(2, n_labels)``,
        computed once."""
        if self._noise_and_silence is None:
            silence = np.zeros(round(CLIP_SECONDS * self.sample_rate), np.float32)
            self._noise_and_silence = self.tagger.predict(np.stack([self.clip(CLIP_SECONDS, 1), silence]))
        return self._noise_and_silence


@titled("declares name, version, sample rate, labels, weights")
def check_tagger_contract(session: TaggerSession) -> Outcome:
    """Name, version, sample rate, weights digest declared; labels a non-empty tuple of unique strings."""
    t = session.tagger
    problems = contract_problems(t)
    if problems:
        return Outcome(False, "; ".join(problems[:5]))
    weights = f"weights sha256 {t.weights_sha256[:12]}..." if t.weights_sha256 else "no weights file"
    return Outcome(True, f"version {t.version}, {t.sample_rate} Hz, {len(t.labels)} unique labels "
                         f"({', '.join(t.labels[:3])}{', ...' if len(t.labels) > 3 else ''}), {weights}")


@titled("scores (batch, labels) in [0, 1], finite (noise and silence)")
def check_scores(session: TaggerSession) -> Outcome:
    """A noise clip and a silent one give ``(2, n_labels)`` float32 scores, finite, in ``[0, 1]``."""
    try:
        scores = session.noise_and_silence()
    except TaggerError as error:
        return Outcome(False, f"{error} (clip 0: noise, clip 1: silence, {CLIP_SECONDS} s each)")
    return Outcome(True, f"scores {scores.shape} {scores.dtype} in [{scores.min():.3g}, {scores.max():.3g}] "
                         f"for 2 clips of {CLIP_SECONDS} s",
                   warning="clip-level scores have no timestamps: the declared sample rate is not checked")


@titled("the audio is used: noise and silence score differently")
def check_responds(session: TaggerSession) -> Outcome:
    """The noise clip and the silent one do not get identical scores (a tagger that ignores its input, or
    returns constants, fails)."""
    scores = session.noise_and_silence().astype(np.float64)
    difference = float(np.abs(scores[0] - scores[1]).max())
    return Outcome(difference > 0, f"max |difference| between noise and silence {difference:.3g} "
                                   "(must not be 0)", difference, 0.0)


@titled("two identical calls, identical scores")
def check_tagger_determinism(session: TaggerSession) -> Outcome:
    """Two identical calls give bit-identical scores."""
    audio = np.stack([session.clip(CLIP_SECONDS, 30), session.clip(CLIP_SECONDS, 31)])
    first, second = session.tagger.predict(audio), session.tagger.predict(audio.copy())
    difference = float(np.abs(first.astype(np.float64) - second).max())
    return Outcome(bool(np.array_equal(first, second)), f"max |difference| {difference:.3g}; tolerance 0",
                   difference, 0.0)


@titled("batch independence: a clip alone and in a batch")
def check_tagger_batch(session: TaggerSession) -> Outcome:
    """A 2.5 s clip alone and in the middle of a batch with a 4 s clip trimmed and a 1.2 s clip zero-padded
    to its length, each at another level: the same scores within :data:`RELATIVE_TOLERANCE` of their RMS."""
    samples = round(BATCH_SECONDS * session.sample_rate)
    clip = session.clip(BATCH_SECONDS, 40, amplitude=0.3)
    others = fit(session.clip(4.0, 41, amplitude=0.9), samples), fit(session.clip(1.2, 42, amplitude=0.6), samples)
    alone = session.tagger.predict(clip[None])
    batch = session.tagger.predict(np.stack([others[0], clip, others[1]]))
    difference, relative, _ = compare(alone, batch[1:2])
    return Outcome(bool(relative <= RELATIVE_TOLERANCE),
                   f"2.5 s clip among clips of 4 s (trimmed) and 1.2 s (padded): max |difference| "
                   f"{difference:.3g} = {relative:.3g} of the scores' RMS (tolerance {RELATIVE_TOLERANCE:g})",
                   relative, RELATIVE_TOLERANCE)


BASIC_TAGGER_CHECKS: tuple[Callable[[TaggerSession], Outcome], ...] = (check_tagger_contract, check_scores)
"""Checks the others need: when one fails, the rest are not run."""
TAGGER_CHECKS: tuple[Callable[[TaggerSession], Outcome], ...] = (
    check_responds, check_tagger_determinism, check_tagger_batch)
"""The behavioural checks, in the order they are reported."""


def run_tagger_checks(tagger: Tagger) -> list[EmbedderCheck]:
    """Every check of this module on ``tagger``, in order, as :class:`~irbench.embedders.validate.EmbedderCheck`
    results (name, passed, what was measured, figure, tolerance; :func:`~irbench.embedders.validate.report_lines`
    prints them). A failure of the contract or scores check stops the rest. Never raises for the tagger's
    faults: they are failed checks."""
    return run_checks(TaggerSession(tagger), BASIC_TAGGER_CHECKS, TAGGER_CHECKS)
