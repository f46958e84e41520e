"""An example plugin task, ``tiny-tones``: is a 1-s tone a square or a sawtooth wave?

It shows everything a task from a plugin package declares to get ``irbench data download``, ``verify`` and
``synth`` and its published numbers on the report page with no change to irbench: a ``TaskMetadata`` whose
``card`` (:class:`irbench.data.datasets.DatasetCard`) names the remote archive with its checksum, the dataset's
counts, audio format and clip durations, the stand-in generator (:mod:`irbench_example_plugin.tones_standin`)
and a published reference; and an entry point in the ``irbench.tasks`` group (this package's
``pyproject.toml``).

Layout: ``labels.csv`` (``file,split,label``) and ``audio/<split>-<nn>.wav`` (8 kHz, mono, 16-bit, 1 s).
Splits as listed: train 8, validation 4, test 4. Protocol: arg-max of the mean window probabilities,
``accuracy`` (headline).
"""

from __future__ import annotations

from pathlib import Path

from irbench.data.csvfiles import read_rows
from irbench.data.datasets import AudioFormat, DatasetCard, Reference
from irbench.errors import DataNotFoundError, DatasetLayoutError
from irbench.evaluation.protocols import arg_max
from irbench.data.resources import RemoteFile, RemoteFiles
from irbench.data.standin import read_stand_in_marker
from irbench.task import Clip, ClipScores, Evaluation, PredictionType, Task, TaskData, TaskMetadata, drop_missing

LABELS = ("square", "sawtooth")
SAMPLE_RATE = 8_000
FRAMES = 8_000  # 1 s
LABELS_FILE = "labels.csv"
SPLITS = {"train": 8, "validation": 4, "test": 4}


def audio_name(split: str, number: int) -> str:
    """Where a clip lives, relative to the dataset root: ``audio/<split>-<nn>.wav``."""
    return f"audio/{split}-{number:02d}.wav"


CARD = DatasetCard(
    name="tiny-tones",
    sources=(RemoteFiles(
        files=(RemoteFile(
            name="tiny-tones-1.0.tar",
            # example.org is a placeholder: publish tones_release's archive and put its URL here
            url="https://example.org/irbench-example-plugin/tiny-tones-1.0.tar",
            checksum="sha256:0227cd1f89031d67d1792d0dd00832acedefe46ee63a525791e135affee4aa23",
            size=276_480,
            extract=True,
            checksum_source="pinned from the archive irbench_example_plugin.tones_release builds",
        ),),
        move_up="tiny-tones",
    ),),
    files=dict(SPLITS),
    audio=AudioFormat(sample_rate=SAMPLE_RATE, channels=1, frames=FRAMES),
    clip_seconds={split: (1.0, 1.0) for split in SPLITS},
    stand_in="irbench_example_plugin.tones_standin:TinyTonesStandIn",
    references=(
        Reference(method="peak-share rule: square when over half the samples exceed 90% of the peak",
                  metric="accuracy on the test split", value="1.000",
                  source="irbench examples/irbench-example-plugin README",
                  caveat="illustrative: the example's own number, not a peer-reviewed result"),
    ),
)

METADATA = TaskMetadata(
    name="tiny-tones", version="1.0", display_name="tiny-tones (example plugin, 2 wave shapes)",
    description="Example plugin task: square or sawtooth wave, 1-s tones.", dataset="tiny-tones",
    labels=LABELS, label_names=("square wave", "sawtooth wave"),
    train_prediction_type=PredictionType.SINGLE_LABEL, test_prediction_type=PredictionType.SINGLE_LABEL,
    main_score="accuracy", clip_seconds=CARD.clip_seconds, homepage="https://example.org/irbench-example-plugin",
    licence="CC0 1.0", citation="@misc{tinytones,\n  title={tiny-tones, an irbench example},\n  year={2025}\n}",
    card=CARD,
)


class TinyTonesTask(Task):
    """Registered by the entry point ``tiny-tones``; see the module docstring."""

    metadata = METADATA

    def load(self, data_home: Path, allow_missing: bool = False) -> TaskData:
        """Read ``labels.csv`` and the clips it lists.

        Raises
        ------
        DataNotFoundError: no ``labels.csv``, or a listed clip is missing (unless ``allow_missing``).
        DatasetLayoutError: a row with an unknown split or label (names the file and line).
        """
        data_home = Path(data_home).expanduser().resolve()
        how = (f"Download it with `irbench data download tiny-tones --data-home {data_home}` or run "
               f"`irbench data synth tiny-tones --out {data_home}`.")
        table = data_home / LABELS_FILE
        if not table.exists():
            raise DataNotFoundError(f"no tiny-tones labels ({LABELS_FILE}) under {data_home}. {how}")
        splits: dict[str, list[Clip]] = {split: [] for split in SPLITS}
        for line, row in read_rows(table, ("file", "split", "label")):
            if row["split"] not in splits:
                raise DatasetLayoutError(table, f"unknown split {row['split']!r} ({', '.join(SPLITS)})", line)
            if row["label"] not in LABELS:
                raise DatasetLayoutError(table, f"unknown label {row['label']!r} ({', '.join(LABELS)})", line)
            splits[row["split"]].append(Clip(clip_id=row["file"], path=data_home / row["file"],
                                             labels=(row["label"],), group=row["file"]))
        splits, missing = drop_missing(splits, data_home, allow_missing, how)
        marker = read_stand_in_marker(data_home)
        return TaskData(data_home, splits, marker is not None, marker, missing)

    def evaluate(self, validation: ClipScores, test: ClipScores) -> Evaluation:
        """Arg-max of the mean window probabilities; ``accuracy`` and macro-F1."""
        return arg_max(validation, test, LABELS)
