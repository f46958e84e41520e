"""The tagger contract: a frozen audio model that scores a clip against its own label set.

A :class:`Tagger` is the second kind of "bring your own model": where an embedder
(:mod:`irbench.embedders.base`) gives frame embeddings for a probe to learn from, a tagger gives clip-level
scores in ``[0, 1]`` for labels of its own (PANNs Cnn14's 527 AudioSet classes, Kong et al. 2020), which a
recorded label map (:mod:`irbench.taggers.label_maps`) turns into a task's classes with no training
(zero-shot).

Subclasses declare ``name``, ``version``, ``sample_rate``, ``labels`` and ``weights_sha256`` and implement
:meth:`Tagger.compute`; callers use :meth:`Tagger.predict`, which checks the audio going in (as
:meth:`irbench.embedders.base.Embedder.embed` does) and the scores coming out, so a breach is named where it
happens.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from irbench.embedders.base import SHA256, audio_batch, to_numpy
from irbench.errors import IrbenchError

if TYPE_CHECKING:
    import torch


class TaggerError(IrbenchError):
    """A tagger cannot be built, or broke its contract (scores of the wrong shape, outside ``[0, 1]``, NaN);
    the message names the tagger and what was found."""


class Tagger(ABC):
    """A frozen audio tagger: clips in, one score in ``[0, 1]`` per label of its own out.

    Attributes (class or instance attributes; ``irbench validate <tagger>`` checks them)
    ----------
    name: the name it is found by (its ``irbench.taggers`` entry-point name, or a built-in's).
    description: one line for listings.
    version: version of the model code; with ``weights_sha256`` it identifies the scores.
    sample_rate: the rate in Hz that :meth:`predict` expects; the caller resamples.
    labels: the model's own label set, unique non-empty strings, in the order of the score columns.
    weights_sha256: SHA-256 (hex) of the weights file, or ``None`` when the weights come with the code.
    label_map_files: task name -> a label-map file (JSON or TOML, :meth:`irbench.taggers.label_maps.LabelMap
        .from_file`) shipped with the tagger, relative to the folder of the module that defines the class;
        :func:`irbench.taggers.label_maps.label_map` finds them.

    Subclasses implement :meth:`compute`; nothing keeps state between calls, and a clip's scores must not
    depend on the other clips of its batch (``irbench validate`` checks both).
    """

    name: str
    description: str = ""
    version: str = "unknown"
    sample_rate: int
    labels: tuple[str, ...]
    weights_sha256: str | None = None
    label_map_files: ClassVar[dict[str, str]] = {}

    @abstractmethod
    def compute(self, audio: torch.Tensor) -> Any:
        """Score a checked batch: ``audio`` is float32 ``(batch, samples)`` in ``[-1, 1]`` at
        :attr:`sample_rate` Hz. Returns ``(batch, len(labels))`` scores in ``[0, 1]`` (a torch tensor or a
        NumPy array), column ``k`` for ``labels[k]``."""

    def predict(self, audio: Any) -> np.ndarray:
        """Score ``audio`` (torch tensor or NumPy array, ``(batch, samples)``, float in ``[-1, 1]``, at
        :attr:`sample_rate` Hz; clips of one batch share a length).

        Returns ``(batch, len(labels))`` float32 scores in ``[0, 1]``.

        Raises
        ------
        ValueError
            The audio is not ``(batch, samples)`` floating point, finite and in ``[-1, 1]``.
        TaggerError
            :meth:`compute` returned another shape, non-numbers, NaN or infinite scores, or scores outside
            ``[0, 1]``; the message names the tagger.
        """
        batch = audio_batch(audio, owner=f"tagger {self.name!r}")
        return self.check_output(self.compute(batch), batch.shape[0])

    def check_output(self, scores: Any, batch: int) -> np.ndarray:
        """``compute``'s result as float32 ``(batch, len(labels))`` after checking it against the contract;
        raises :class:`TaggerError` naming the tagger and the breach."""
        scores = to_numpy(scores)
        problem = output_problem(scores, batch, len(self.labels))
        if problem:
            raise TaggerError(f"tagger {self.name!r}: {problem}")
        return scores.astype(np.float32, copy=False)

    def describe(self) -> dict[str, Any]:
        """What a record says about this tagger: name, version, sample rate (Hz), number of labels, weights."""
        return {"name": self.name, "version": self.version, "sample_rate": self.sample_rate,
                "n_labels": len(self.labels), "weights_sha256": self.weights_sha256}


def output_problem(scores: np.ndarray, batch: int, n_labels: int) -> str | None:
    """What is wrong with ``(batch, n_labels)`` scores, or ``None``: shape, dtype, finiteness, ``[0, 1]``."""
    if scores.shape != (batch, n_labels):
        return f"scores must be (batch, labels) = ({batch}, {n_labels}), got shape {scores.shape}"
    if not (np.issubdtype(scores.dtype, np.floating) or np.issubdtype(scores.dtype, np.integer)):
        return f"scores must be numbers, got {scores.dtype}"
    bad = sorted({int(i) for i in np.argwhere(~np.isfinite(scores))[:, 0]})
    if bad:
        return f"NaN or infinite scores for clip(s) {', '.join(map(str, bad[:5]))} of the batch"
    low, high = float(scores.min()), float(scores.max())
    if low < 0.0 or high > 1.0:
        return f"scores must lie in [0, 1], found {low:.4g} to {high:.4g} (apply a sigmoid or softmax)"
    return None


def label_problems(labels: Any) -> list[str]:
    """What is wrong with a tagger's ``labels``: a non-empty tuple (or list) of unique non-empty strings."""
    if not isinstance(labels, (tuple, list)) or not labels:
        return [f"labels is {labels!r}, not a non-empty tuple of strings"]
    problems = [f"label {i} is {label!r}, not a non-empty string" for i, label in enumerate(labels)
                if not isinstance(label, str) or not label.strip()]
    counts = Counter(label for label in labels if isinstance(label, str))
    repeated = sorted(label for label, count in counts.items() if count > 1)
    if repeated:
        problems.append(f"labels repeat: {', '.join(map(repr, repeated[:5]))}")
    return problems


def contract_problems(tagger: object) -> list[str]:
    """What is wrong with a tagger's declarations (name, version, sample rate, labels, weights digest)."""
    name, version = getattr(tagger, "name", None), getattr(tagger, "version", None)
    rate, weights = getattr(tagger, "sample_rate", None), getattr(tagger, "weights_sha256", None)
    problems = [f"{attribute} is {value!r}" for attribute, value, ok in (
        ("name", name, isinstance(name, str) and bool(name)),
        ("version", version, isinstance(version, str)),
        ("sample_rate", rate, isinstance(rate, int) and not isinstance(rate, bool) and rate > 0),
        ("weights_sha256", weights, weights is None or bool(SHA256.fullmatch(str(weights)))),
    ) if not ok]
    return problems + label_problems(getattr(tagger, "labels", None))
