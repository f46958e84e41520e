"""A task's dataset card: everything irbench knows about the data behind a task, in one declaration.

As mirdata gives each dataset one module, a task gives its data one :class:`DatasetCard`
(``TaskMetadata.card``): where the files come from and their checksums (``sources``), how many audio files
the full dataset has per official partition and in which format, the clip durations it documents, the
generator of its offline stand-in, and the published numbers shown beside its leaderboard.
``irbench data download``, ``irbench data verify``, ``irbench data synth`` and the report read nothing else,
so a task from a plugin package gets all four by declaring a card.

Tasks that share a dataset share most of a card: ``medley-solos-binary`` is Medley-solos-DB's card with
its own counts and published numbers (``card.model_copy(update={...})``).

This module depends on nothing but :mod:`irbench.data.resources` (``irbench.task`` imports it, never the reverse);
a task's card is ``TASKS.get(name).metadata.card`` (:mod:`irbench.tasks`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from irbench.data.resources import Source


class AudioFormat(BaseModel):
    """The audio files' format as the dataset documents it; ``None`` where files differ or it is unknown.

    sample_rate: Hz. channels: 1 mono, 2 stereo. frames: samples per channel of every file.
    """

    model_config = ConfigDict(frozen=True)

    sample_rate: int | None = Field(None, gt=0)
    channels: int | None = Field(None, gt=0)
    frames: int | None = Field(None, gt=0)


class Reference(BaseModel):
    """A published number, shown beside a task's leaderboard and never ranked with its runs.

    method: who and what (with the authors). metric: as the source defined it. value: as published.
    source: where it is published (venue, arXiv id, repository). caveat: why it is not comparable one to one.
    comparable_metrics: the run-record metrics that compute the same quantities as ``metric``, in its order
        (``("macro_f1_absent_zero",)`` for instrument-classifier's scikit-learn macro-F1 over all 12 labels),
        shown beside the number, like with like; empty when irbench computes no such quantity.
    training_overlap: a non-empty note when the method's training data is known to include this dataset's
        evaluation data (2026 audio-language models list Medley-solos-DB in their training mixes); the page
        flags the row.
    """

    model_config = ConfigDict(frozen=True)

    method: str
    metric: str
    value: str
    source: str
    caveat: str = ""
    comparable_metrics: tuple[str, ...] = ()
    training_overlap: str = ""


class DatasetCard(BaseModel):
    """The declaration of a task's data.

    Attributes
    ----------
    name: the dataset as cited (``IRMAS``).
    sources: where ``irbench data download`` fetches it from, in order, and what ``verify`` checks the
        files against (:class:`irbench.data.resources.RemoteFiles`, :class:`irbench.data.mirdata_source.MirdataSource`).
    files: audio files of the full dataset that the task reads, per official partition
        (``{"training": 6705, "test": 2874}``); empty when unknown.
    audio: the files' documented format, checked by ``verify`` on every header.
    clip_seconds: task split -> ``(shortest, longest)`` documented clip duration in seconds (``longest``
        may be ``None``); pass it on as ``TaskMetadata(clip_seconds=card.clip_seconds)``, which refuses
        truncated clips.
    stand_in: ``"module:Class"`` of the :class:`irbench.synth.base.StandInGenerator` that renders an offline
        stand-in in the dataset's layout (imported only by ``irbench data synth``), or ``None``.
    references: published numbers for the task.
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    sources: tuple[Source, ...] = ()
    files: dict[str, int] = Field(default_factory=dict)
    audio: AudioFormat = AudioFormat()
    clip_seconds: dict[str, tuple[float, float | None]] = Field(default_factory=dict)
    stand_in: str | None = None
    references: tuple[Reference, ...] = ()

    @field_validator("stand_in")
    @classmethod
    def _module_attribute(cls, value: str | None) -> str | None:
        if value is not None and (":" not in value or value.startswith(":") or value.endswith(":")):
            raise ValueError(f"stand_in must be 'package.module:Class', got {value!r}")
        return value

    @property
    def expected_files(self) -> int | None:
        """Audio files of the full dataset (the sum over ``files``), or ``None`` when not declared."""
        return sum(self.files.values()) if self.files else None

