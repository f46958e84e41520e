"""Medley-solos-DB: single-instrument recognition, 8 classes (Lostanlen & Cella, ISMIR 2016; Zenodo 3464194).

Layout: ``annotation/Medley-solos-DB_metadata.csv`` (``subset,instrument,instrument_id,song_id,uuid4``;
release 1.1 names the song column ``track_id``, both are read) and
``audio/Medley-solos-DB_{subset}-{instrument_id}_{uuid4}.wav``: 21,571 mono 44.1 kHz float32 clips of
131,072 samples (2.972 s).

Protocol: the official song-disjoint subsets (training 5,841 / validation 3,494 / test 12,236; training
comes from MedleyDB and test from solosDb, a cross-collection test). Train on training, early-stop on
validation, report on test: ``accuracy`` (headline), mean per-class accuracy (``balanced_accuracy``),
macro-F1 (over all 8 classes; a class absent from the test set counts 1 when never predicted, else 0: the
absent-class rule of :mod:`irbench.evaluation.metrics`, new in version 1.1), per-class precision/recall/F1 and the confusion matrix. Window probabilities are averaged per clip
and the top class is the decision; bootstrap intervals resample songs (``song_id``), not clips.
``medley-solos-binary`` restricts every subset to piano (4) and violin (7), Multi-Instrument-Detection's task.
"""

from __future__ import annotations

from pathlib import Path

from irbench.data.csvfiles import read_rows
from irbench.data.datasets import AudioFormat, DatasetCard, Reference
from irbench.errors import DataNotFoundError, DatasetLayoutError
from irbench.evaluation.protocols import arg_max
from irbench.data.mirdata_source import MirdataSource
from irbench.data.standin import read_stand_in_marker
from irbench.task import Clip, ClipScores, Evaluation, PredictionType, Task, TaskData, TaskMetadata, drop_missing

INSTRUMENTS = (
    "clarinet", "distorted electric guitar", "female singer", "flute", "piano", "tenor saxophone", "trumpet",
    "violin",
)
SUBSETS = {"training": "train", "validation": "validation", "test": "test"}
METADATA_FILE = "annotation/Medley-solos-DB_metadata.csv"
CLIP_SECONDS = 131_072 / 44_100  # every clip: 131,072 samples at 44.1 kHz
CITATION = (
    "@inproceedings{lostanlen2016deep,\n  title={Deep Convolutional Networks on the Pitch Spiral for Musical "
    "Instrument Recognition},\n  author={Lostanlen, Vincent and Cella, Carmine-Emanuele},\n  "
    "booktitle={Proc. ISMIR},\n  pages={612--618},\n  year={2016}\n}"
)


CARD = DatasetCard(
    name="Medley-solos-DB",
    sources=(MirdataSource("medley_solos_db"),),  # Zenodo 3464194 through mirdata
    files={"training": 5841, "validation": 3494, "test": 12_236},
    audio=AudioFormat(sample_rate=44_100, channels=1, frames=131_072),
    clip_seconds={split: (CLIP_SECONDS, CLIP_SECONDS) for split in ("train", "validation", "test")},
    stand_in="irbench.synth.medley_solos:MedleySolosStandIn",
    references=(
        Reference(method="Audio Flamingo, zero-shot / 16-shot (Kong et al. 2024)", metric="accuracy",
                  value="0.927 / 0.960", source="ICML 2024 (arXiv 2402.01831)", caveat="audio-language model",
                  comparable_metrics=("accuracy",)),
        Reference(method="MiMo-Audio / MOSS-Music / MusicFlamingo (audio-language models, 2025-2026)",
                  metric="accuracy", value="0.938 / 0.924 / 0.909", source="GitHub OpenMOSS/MOSS-Music README",
                  caveat="audio-language models", comparable_metrics=("accuracy",),
                  training_overlap="Medley-solos-DB is listed in public audio-language training mixes: their "
                                   "training data overlaps this test set"),
        Reference(method="MLP, 8 classes (G. Baker & A. Bobrovnikov)", metric="accuracy", value="≈0.63",
                  source="GitHub anthonybob/Multi-Instrument-Detection", caveat="model chosen on test",
                  comparable_metrics=("accuracy",)),
    ),
)
BINARY_CARD = CARD.model_copy(update={
    # piano (4) and violin (7) rows of the official metadata, per subset
    "files": {"training": 2401 + 2040, "validation": 1022 + 1031, "test": 2609 + 2900},
    "references": (
        Reference(method="MLP, piano vs violin (G. Baker & A. Bobrovnikov)", metric="accuracy", value="0.98",
                  source="GitHub anthonybob/Multi-Instrument-Detection", caveat="model chosen on test",
                  comparable_metrics=("accuracy",)),
    ),
})


def audio_path(data_home: Path, subset: str, instrument_id: int, uuid4: str) -> Path:
    """Where the official layout keeps a clip's audio."""
    return data_home / "audio" / f"Medley-solos-DB_{subset}-{instrument_id}_{uuid4}.wav"


def _metadata(name: str, ids: tuple[int, ...], description: str, display_name: str,
              card: DatasetCard) -> TaskMetadata:
    labels = tuple(INSTRUMENTS[i] for i in ids)
    return TaskMetadata(
        name=name, version="1.1", display_name=display_name, description=description, dataset="Medley-solos-DB", labels=labels,
        label_names=labels, train_prediction_type=PredictionType.SINGLE_LABEL,
        test_prediction_type=PredictionType.SINGLE_LABEL, main_score="accuracy",
        clip_seconds=card.clip_seconds, test_group_unit="song",
        homepage="https://zenodo.org/records/3464194", licence="CC BY 4.0", citation=CITATION, card=card,
    )


class MedleySolosTask(Task):
    """All 8 Medley-solos-DB classes; see the module docstring."""

    metadata = _metadata("medley-solos", tuple(range(8)), "Medley-solos-DB, 8 instruments, official subsets.",
                         "Medley-solos-DB (8 solo instruments)", CARD)
    instrument_ids: tuple[int, ...] = tuple(range(8))

    def load(self, data_home: Path, allow_missing: bool = False) -> TaskData:
        """Read the metadata CSV and the clips of the task's instruments.

        Raises
        ------
        DataNotFoundError: no metadata file, or listed audio missing (unless ``allow_missing``).
        DatasetLayoutError: a row with an unknown subset or instrument id (names the file and line).
        """
        data_home = Path(data_home).expanduser().resolve()
        table = data_home / METADATA_FILE
        how = f"Download it with `irbench data download {self.metadata.name} --data-home {data_home}` or run " \
              f"`irbench data synth {self.metadata.name} --out {data_home}`."
        if not table.exists():
            raise DataNotFoundError(f"no Medley-solos-DB metadata ({METADATA_FILE}) under {data_home}. {how}")
        splits: dict[str, list[Clip]] = {"train": [], "validation": [], "test": []}
        for line, row in read_rows(table, ("subset", "instrument_id", "uuid4"), {"song_id": ("song_id", "track_id")}):
            subset = row["subset"]
            if subset not in SUBSETS:
                raise DatasetLayoutError(table, f"unknown subset {subset!r} (training, validation or test)", line)
            try:
                instrument = int(row["instrument_id"])
            except ValueError:
                instrument = -1
            if not 0 <= instrument < len(INSTRUMENTS):
                raise DatasetLayoutError(table, f"unknown instrument_id {row['instrument_id']!r} (0-7)", line)
            if instrument not in self.instrument_ids:
                continue
            splits[SUBSETS[subset]].append(Clip(
                clip_id=row["uuid4"], path=audio_path(data_home, subset, instrument, row["uuid4"]),
                labels=(INSTRUMENTS[instrument],), group=row["song_id"],
            ))
        splits, missing = drop_missing(splits, data_home, allow_missing, how)
        marker = read_stand_in_marker(data_home)
        return TaskData(data_home, splits, marker is not None, marker, missing)

    def evaluate(self, validation: ClipScores, test: ClipScores) -> Evaluation:
        """Arg-max of the mean window probabilities; accuracy, mean per-class accuracy, macro-F1."""
        return arg_max(validation, test, self.metadata.labels)


class MedleySolosBinaryTask(MedleySolosTask):
    """Piano (4) versus violin (7) on the official subsets (Multi-Instrument-Detection's binary task)."""

    metadata = _metadata("medley-solos-binary", (4, 7), "Medley-solos-DB restricted to piano vs violin.",
                         "Medley-solos-DB (piano vs violin)", BINARY_CARD)
    instrument_ids = (4, 7)
