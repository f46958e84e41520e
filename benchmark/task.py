"""The task contract: typed metadata, clips and splits (after MTEB's ``TaskMetadata``).

A task names a dataset, its official on-disk layout, its splits and its evaluation protocol. Changing a
protocol bumps ``TaskMetadata.version``, which every run record stores.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from irbench.data.datasets import DatasetCard
from irbench.evaluation.types import ClipScores, Evaluation

__all__ = ["Clip", "ClipScores", "Evaluation", "PredictionType", "Task", "TaskData", "TaskMetadata", "drop_missing"]
# ClipScores and Evaluation live with evaluation; tasks and plugins keep importing them from here


class PredictionType(str, enum.Enum):
    """How a clip's targets are encoded and which head and loss a baseline uses."""

    SINGLE_LABEL = "single-label"  # one class per clip: softmax + cross-entropy
    MULTI_LABEL = "multi-label"  # any subset of classes: sigmoid + binary cross-entropy
    MASKED_MULTI_LABEL = "masked-multi-label"  # multi-label with unobserved (clip, class) pairs


class TaskMetadata(BaseModel):
    """Frozen description of a task.

    Attributes
    ----------
    name: CLI name (``--task``).
    version: protocol version; bumped whenever the split, labels or metrics change.
    display_name: how a page or table names the task ("IRMAS (predominant instrument, 11 classes)").
    labels: class label strings in output order, ``(n_classes,)``.
    label_names: human-readable class names, same order.
    train_prediction_type: how training targets are encoded.
    test_prediction_type: how test targets are encoded and scored.
    splits: split names in the order ``train, validation, test``.
    main_score: key of the headline metric in a run record's ``metrics``.
    skips_corrupt_audio: the dataset ships known-corrupt files (OpenMIC's errata): skip and list them
        instead of stopping the run.
    clip_seconds: split -> ``(shortest, longest)`` clip duration in seconds as the dataset documents it
        (``longest`` may be ``None``); a file shorter than ``(1 - duration_tolerance) * shortest`` is refused as
        truncated (or skipped and listed with ``--skip-bad``). Splits not listed are not checked.
    duration_tolerance: the share by which a clip may fall short of ``shortest`` (default 10%: a 3-s IRMAS
        training clip must last at least 2.7 s).
    window_layout: how model-input windows are placed in a clip, for training and evaluation (a name in
        ``irbench.windowing.layouts.LAYOUTS``: ``non-overlapping`` or ``covering``).
    test_group_unit: what ``Clip.group`` of a test clip is (``track``, ``recording``, ``song``); bootstrap
        intervals resample these units. ``clip`` when test clips are independent.
    citation: BibTeX of the dataset paper.
    card: the dataset's declaration (:class:`irbench.data.datasets.DatasetCard`): remote files and checksums,
        expected counts and audio format, stand-in generator, published numbers; ``None`` when the task
        declares none (then ``irbench data download/verify/synth`` have nothing to go on).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    version: str
    display_name: str | None = None
    description: str
    dataset: str
    labels: tuple[str, ...]
    label_names: tuple[str, ...]
    train_prediction_type: PredictionType
    test_prediction_type: PredictionType
    splits: tuple[str, ...] = ("train", "validation", "test")
    main_score: str
    skips_corrupt_audio: bool = False
    clip_seconds: dict[str, tuple[float, float | None]] = Field(default_factory=dict)
    duration_tolerance: float = Field(0.1, ge=0, lt=1)
    window_layout: str = "non-overlapping"
    test_group_unit: str = "clip"
    homepage: str
    licence: str
    citation: str
    card: DatasetCard | None = None


@dataclass(frozen=True)
class Clip:
    """One example of a task: an audio file, or a segment of one, with its labels.

    Attributes
    ----------
    clip_id: identifier unique within the dataset (a relative path for IRMAS, a sample key for OpenMIC).
    path: absolute path of the audio file.
    labels: class label strings present in the clip (exactly 1 for single-label tasks).
    group: clips that must not be split across train and validation share a group (a recording, a song).
    metadata: dataset-specific tags (IRMAS: genre, drums).
    observed: labels whose presence or absence was annotated (OpenMIC's partial labels); ``None`` means
        every class was annotated. Unobserved (clip, class) pairs are neither positive nor negative.
    segment: ``(start, end)`` in seconds within the file (MusicNet windows); ``None`` is the whole file.
    """

    clip_id: str
    path: Path
    labels: tuple[str, ...]
    group: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    observed: tuple[str, ...] | None = None
    segment: tuple[float, float] | None = None


@dataclass
class TaskData:
    """The clips of a task, per split, as loaded from ``data_home``.

    ``stand_in`` is true when the files were synthesised by ``irbench data synth`` (never real data).
    ``missing`` lists files the official lists name but the folder lacks (only with ``allow_missing``).
    ``span_labeller``, when the task has one, gives the labels of exactly a span of a clip:
    ``span_labeller(clip, start_seconds, end_seconds) -> labels`` (MusicNet labels each model window from the
    notes sounding in it); without one every window of a clip carries the clip's labels.
    """

    data_home: Path
    splits: dict[str, list[Clip]]
    stand_in: bool
    stand_in_info: Mapping[str, object] | None = None
    missing: list[str] = field(default_factory=list)
    span_labeller: Callable[[Clip, float, float], tuple[str, ...]] | None = None


def drop_missing(
    splits: dict[str, list[Clip]], data_home: Path, allow_missing: bool, how_to_get: str
) -> tuple[dict[str, list[Clip]], list[str]]:
    """Remove clips whose audio file is absent; returns the kept splits and the absent relative paths.

    Raises
    ------
    DataNotFoundError: a file is absent and ``allow_missing`` is false; names up to five of them, the
        count, and ``how_to_get`` (the command that downloads or synthesises the data).
    """
    from irbench.errors import DataNotFoundError

    absent = {clip.path for clips in splits.values() for clip in clips if not clip.path.exists()}
    names = sorted(path.relative_to(data_home).as_posix() for path in absent)
    if names and not allow_missing:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        raise DataNotFoundError(
            f"{len(names)} audio file(s) listed by the dataset are missing under {data_home}: {shown}. "
            f"{how_to_get} Check a download with `irbench data verify`; run on what is there with --skip-bad."
        )
    kept = {name: [c for c in clips if c.path not in absent] for name, clips in splits.items()}
    return kept, names


class Task(ABC):
    """A dataset with its official layout, splits and protocol; subclasses set ``metadata``."""

    metadata: TaskMetadata

    @abstractmethod
    def load(self, data_home: Path, allow_missing: bool = False) -> TaskData:
        """Read the official layout under ``data_home``.

        ``allow_missing`` drops clips whose audio file is absent (listed in ``TaskData.missing``) instead
        of raising; without it an incomplete download is an error.

        Raises
        ------
        DataNotFoundError: nothing usable at ``data_home`` (the message says how to get the data).
        DatasetLayoutError: a file breaks the layout; names the file and the problem.
        """

    @abstractmethod
    def evaluate(self, validation: ClipScores, test: ClipScores) -> Evaluation:
        """Apply the protocol: choose what must be chosen on ``validation``, score ``test``."""

    def recording_clips(self, path: Path, seconds: float) -> list[Clip]:
        """The test clips the protocol would make of one audio file of ``seconds`` s (``irbench predict`` scores
        a user's file as these): by default the whole file, one clip; a task whose clips are segments of a
        recording (MusicNet's 3-s windows) returns the segments, each with its ``segment`` in seconds."""
        del seconds
        return [Clip(path.name, path, ())]

    def shortest_allowed_seconds(self, split: str) -> float | None:
        """Seconds below which a clip of ``split`` counts as truncated: ``(1 - duration_tolerance)`` times the
        shortest duration the dataset documents for that split, or ``None`` when it documents none."""
        documented = self.metadata.clip_seconds.get(split)
        if documented is None:
            return None
        return documented[0] * (1.0 - self.metadata.duration_tolerance)

    def documented_duration(self, split: str) -> str:
        """The documented clip duration of ``split`` in words (``3 s``, ``5-20 s``), or ``""``."""
        documented = self.metadata.clip_seconds.get(split)
        if documented is None:
            return ""
        low, high = documented
        return f"{low:g} s" if high == low else f"{low:g}-{high:g} s" if high else f"at least {low:g} s"

    def targets(self, clips: list[Clip]) -> np.ndarray:
        """Multi-hot targets ``(n_clips, n_classes)`` float32 in the order of ``metadata.labels``."""
        return self._encode(clips, lambda clip: clip.labels)

    def mask(self, clips: list[Clip]) -> np.ndarray:
        """Annotation mask ``(n_clips, n_classes)`` float32: 1 for observed (clip, class) pairs."""
        return self._encode(clips, lambda clip: self.metadata.labels if clip.observed is None else clip.observed)

    def _encode(self, clips: list[Clip], labels_of) -> np.ndarray:
        index = {label: i for i, label in enumerate(self.metadata.labels)}
        out = np.zeros((len(clips), len(index)), dtype=np.float32)
        for row, clip in enumerate(clips):
            for label in labels_of(clip):
                out[row, index[label]] = 1.0
        return out
