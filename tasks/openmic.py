"""OpenMIC-2018: multi-label instrument recognition with partial labels (Humphrey, Durand, McFee, ISMIR 2018;
Zenodo 1432913).

Layout: ``class-map.json`` (20 instruments -> indices), ``openmic-2018-aggregated-labels.csv``
(``sample_key,instrument,relevance,num_responses``; only annotated pairs are present, positive when
relevance >= 0.5), ``partitions/split01_{train,test}.csv`` (header-less keys; 14,915 / 5,085),
``audio/NNN/<sample_key>.ogg`` (10 s excerpts, NNN = the key's first 3 digits) and
``vggish/NNN/<sample_key>.json`` (VGGish embeddings, read by :func:`read_vggish`).

Protocol: official split01; validation = 15% of the training keys, grouped by Free Music Archive track
(the key's part before ``_``), seed 0. An unobserved (clip, instrument) pair is neither positive nor
negative: the training loss and every metric use the label mask. Per class: F1 at the threshold chosen on
validation micro-F1 over observed pairs, and average precision over observed pairs; overall ``map``
(headline, mean per-class AP over the classes with an observed positive, as PaSST and DyMN report), macro-F1
(over all 20 classes, a class with no observed positive counting 1 when never predicted and 0 otherwise:
the absent-class rule of :mod:`irbench.evaluation.metrics`) and micro-F1. Window probabilities are averaged
per clip. Files listed in the dataset's errata as corrupt are skipped and listed in the record, as are files
far shorter than 10 s. Bootstrap intervals resample Free Music Archive tracks, not excerpts; mAP's class set
is fixed by the whole test set in every resample.

Version 1.1: macro-F1 over every class by the absent-class rule (1.0 averaged the classes with support).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from irbench.data.csvfiles import read_lines, read_rows
from irbench.data.datasets import DatasetCard, Reference
from irbench.errors import DataNotFoundError, DatasetLayoutError
from irbench.evaluation.protocols import thresholded
from irbench.data.mirdata_source import MirdataSource
from irbench.data.splits import grouped_split
from irbench.data.standin import read_stand_in_marker
from irbench.task import Clip, ClipScores, Evaluation, PredictionType, Task, TaskData, TaskMetadata, drop_missing

LABELS = (
    "accordion", "banjo", "bass", "cello", "clarinet", "cymbals", "drums", "flute", "guitar",
    "mallet_percussion", "mandolin", "organ", "piano", "saxophone", "synthesizer", "trombone", "trumpet",
    "ukulele", "violin", "voice",
)
LABELS_FILE = "openmic-2018-aggregated-labels.csv"
CLASS_MAP = "class-map.json"
PARTITIONS = {"train": "partitions/split01_train.csv", "test": "partitions/split01_test.csv"}
POSITIVE_RELEVANCE = 0.5
VALIDATION_FRACTION = 0.15
SPLIT_SEED = 0
_KEY = re.compile(r"^\d{6}_\d+$")

CARD = DatasetCard(
    name="OpenMIC-2018",
    sources=(MirdataSource("openmic2018"),),  # Zenodo 1432913 through mirdata
    files={"split01_train": 14_915, "split01_test": 5_085},
    clip_seconds={split: (10.0, 10.0) for split in ("train", "validation", "test")},
    stand_in="irbench.synth.openmic:OpenMicStandIn",
    references=(
        Reference(method="random forest on VGGish (official baseline; Humphrey et al. 2018)",
                  metric="mean per-class F1 (positive class)", value="≈0.705",
                  source="GitHub cosmir/openmic-2018 examples/modeling-baseline.ipynb",
                  comparable_metrics=("macro_f1",)),
        Reference(method="PaSST (Koutini et al. 2022)", metric="mAP", value="0.843", source="Interspeech 2022",
                  caveat="split01 test set used as validation set", comparable_metrics=("map",)),
        Reference(method="DyMN-L (Schmid et al. 2023)", metric="mAP", value="0.855", source="ICASSP 2024",
                  caveat="extra (AudioSet) data; split01 test set used as validation set",
                  comparable_metrics=("map",)),
    ),
)

METADATA = TaskMetadata(
    name="openmic", version="1.1", display_name="OpenMIC-2018 (20 instruments, partial labels)",
    description="OpenMIC-2018, 20 instruments, multi-label with partial labels (masked metrics).",
    dataset="OpenMIC-2018", labels=LABELS, label_names=tuple(label.replace("_", " ") for label in LABELS),
    train_prediction_type=PredictionType.MASKED_MULTI_LABEL,
    test_prediction_type=PredictionType.MASKED_MULTI_LABEL, main_score="map", skips_corrupt_audio=True,
    clip_seconds=CARD.clip_seconds, test_group_unit="FMA track",
    homepage="https://zenodo.org/records/1432913", licence="labels CC BY 4.0; audio per-track Creative Commons",
    citation=(
        "@inproceedings{humphrey2018openmic,\n  title={OpenMIC-2018: An Open Data-set for Multiple Instrument "
        "Recognition},\n  author={Humphrey, Eric J. and Durand, Simon and McFee, Brian},\n  "
        "booktitle={Proc. ISMIR},\n  pages={438--444},\n  year={2018}\n}"
    ),
    card=CARD,
)


def audio_path(data_home: Path, sample_key: str) -> Path:
    """``audio/NNN/<sample_key>.ogg``."""
    return data_home / "audio" / sample_key[:3] / f"{sample_key}.ogg"


def read_labels(path: Path) -> dict[str, dict[str, float]]:
    """Aggregated labels: sample_key -> {instrument: relevance in [0, 1]} for the annotated pairs.

    Raises ``DatasetLayoutError`` (file and line) for an unknown instrument, a relevance outside [0, 1], or
    a second row for the same sample_key and instrument with another relevance (a row repeated with the same
    relevance is read once).
    """
    labels: dict[str, dict[str, float]] = {}
    for line, row in read_rows(path, ("sample_key", "instrument", "relevance")):
        if row["instrument"] not in LABELS:
            raise DatasetLayoutError(path, f"unknown OpenMIC instrument {row['instrument']!r}", line)
        try:
            relevance = float(row["relevance"])
        except ValueError:
            relevance = -1.0
        if not 0.0 <= relevance <= 1.0:
            raise DatasetLayoutError(path, f"relevance {row['relevance']!r} is not a number in [0, 1]", line)
        pairs = labels.setdefault(row["sample_key"], {})
        if pairs.get(row["instrument"], relevance) != relevance:
            raise DatasetLayoutError(path, f"sample_key {row['sample_key'][:40]!r} has instrument "
                                     f"{row['instrument']!r} twice, with relevance {pairs[row['instrument']]:g} "
                                     f"and {relevance:g}", line)
        pairs[row["instrument"]] = relevance
    return labels


def read_partition(path: Path) -> list[str]:
    """Sample keys of a partition file. Raises ``DatasetLayoutError`` naming a malformed line."""
    keys = []
    for line, key in read_lines(path):
        if not _KEY.match(key):
            raise DatasetLayoutError(path, f"{key!r} is not an OpenMIC sample key (NNNNNN_N)", line)
        keys.append(key)
    return keys


def read_class_map(path: Path) -> None:
    """Check ``class-map.json`` against the 20 labels in index order. Raises ``DatasetLayoutError``."""
    try:
        mapping = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise DatasetLayoutError(path, f"unreadable class map ({error})") from error
    if sorted(mapping, key=mapping.get) != list(LABELS):
        raise DatasetLayoutError(path, "class map differs from OpenMIC-2018's 20 instruments in index order")


def read_vggish(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A clip's VGGish JSON: ``(time_points (n,) seconds, features (n, 128) uint8)``.

    Raises ``DatasetLayoutError`` when the file is unreadable or the arrays have the wrong shape.
    """
    try:
        content = json.loads(Path(path).read_text())
        times = np.asarray(content["time_points"], dtype=np.float64)
        features = np.asarray(content["features"], dtype=np.uint8)
    except (OSError, json.JSONDecodeError, KeyError, ValueError, TypeError) as error:
        raise DatasetLayoutError(path, f"not a VGGish feature file ({error})") from error
    if features.ndim != 2 or features.shape != (len(times), 128):
        raise DatasetLayoutError(path, f"VGGish features of shape {features.shape}, expected ({len(times)}, 128)")
    return times, features


class OpenMicTask(Task):
    """OpenMIC-2018 with its label mask; see the module docstring."""

    metadata = METADATA

    def load(self, data_home: Path, allow_missing: bool = False) -> TaskData:
        """Read the class map, aggregated labels and split01 partitions; carve validation from train.

        Raises
        ------
        DataNotFoundError: no labels file, or audio missing (unless ``allow_missing``).
        DatasetLayoutError: a malformed class map, label row or partition line (names the file and line).
        """
        data_home = Path(data_home).expanduser().resolve()
        how = f"Download it with `irbench data download openmic --data-home {data_home}` or run " \
              f"`irbench data synth openmic --out {data_home}`."
        if not (data_home / LABELS_FILE).exists():
            raise DataNotFoundError(f"no OpenMIC-2018 labels ({LABELS_FILE}) under {data_home}. {how}")
        read_class_map(data_home / CLASS_MAP)
        labels = read_labels(data_home / LABELS_FILE)
        splits = {
            split: [self._clip(data_home, key, labels.get(key, {})) for key in read_partition(data_home / partition)]
            for split, partition in PARTITIONS.items()
        }
        splits, missing = drop_missing(splits, data_home, allow_missing, how)
        splits["train"], splits["validation"] = grouped_split(splits["train"], VALIDATION_FRACTION, SPLIT_SEED)
        marker = read_stand_in_marker(data_home)
        return TaskData(data_home, {k: splits[k] for k in ("train", "validation", "test")}, marker is not None,
                        marker, missing)

    @staticmethod
    def _clip(data_home: Path, key: str, relevance: dict[str, float]) -> Clip:
        return Clip(
            clip_id=key, path=audio_path(data_home, key),
            labels=tuple(i for i in LABELS if relevance.get(i, 0.0) >= POSITIVE_RELEVANCE),
            group=key.split("_")[0], observed=tuple(i for i in LABELS if i in relevance),
        )

    def evaluate(self, validation: ClipScores, test: ClipScores) -> Evaluation:
        """Masked protocol: threshold on validation (observed pairs), per-class F1 and AP, ``map``."""
        return thresholded(validation, test, LABELS, main="s1", masked=True)
