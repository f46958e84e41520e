"""IRMAS: predominant instrument recognition (Bosch, Janer, Fuhrmann, Herrera, ISMIR 2012; Zenodo 1290750).

Layout (read directly, not through mirdata's index, which lacks 45 training files):

- ``IRMAS-TrainingData/<cls>/[<prefix>__][<cls>][<drum?>][<genre>]<song>__<excerpt>.wav``: 6,705 clips of
  3 s, 44.1 kHz, 16-bit stereo, one predominant instrument each. The class is the folder and the FIRST tag;
  ``[cla]`` later in the name is the classical genre, not clarinet (DL_Project's bug). The drum tag is
  ``[dru]``, ``[nod]`` or, in 12 official names such as ``014__[gel][---][pop_roc]0978__1.wav``, ``[---]``
  (drums unknown), or absent; it is kept as metadata (``drums``: ``dru``, ``nod`` or ``unknown``).
  mirdata's index lists 6,660 of the 6,705 names: 33 are lost to its track keys colliding, and the 12
  ``[---]`` names are not in it.
- ``IRMAS-TestingData-Part{1,2,3}/<any folder>/<name>.wav`` with ``<name>.txt`` (one label per line, lines
  end with a TAB): 2,874 clips of 5-20 s, 1 or more labels each. Part2's inner folder is ``IRTestingData-Part2``.

Protocol (Han, Kim, Lee 2017, IEEE/ACM TASLP 25(1):208-221): train single-label on the training set with a
15% validation split (here stratified by class, grouped by recording, seeded); cut each test clip into
non-overlapping windows of the model's input length; aggregate window probabilities per clip with S1 (mean)
and S2 (sum normalised by its maximum); threshold. Reported: micro and macro precision/recall/F1 over the 11
labels (macro over every class, absent classes by the absent-class rule of :mod:`irbench.evaluation.metrics`),
per-class figures, LRAP and the top-1 hit rate. The headline score is S2 micro-F1; S1 figures carry the prefix
``s1_``. The test excerpts ``<track>-<n>.wav`` come from 208 tracks: bootstrap intervals resample tracks, not
excerpts.

The threshold, as irbench applies it (version 1.1; the record's ``threshold`` carries each part):

- the window probabilities are SOFTMAX outputs (the model is trained single-label), so a clip's class scores
  compete; S1 is their mean per clip, S2 their sum divided by its maximum (every clip's top class has S2 = 1,
  so S2 always names at least one instrument present);
- one global threshold, the value of the grid 0.05, 0.10, ..., 0.95 that maximises micro-F1 on the
  VALIDATION split (ties to the smaller value), never on test; S1 and S2 get a threshold each;
- the validation split is 15% of the TRAINING clips: 3-s, single-label excerpts, usually one model window
  each (then S2 is 1 for the top class and the window's softmax ratio for the others), while test clips are
  5-20 s with 1.71 labels on average and several windows. Han et al. (2017) tuned on a held-out part of the
  training data too; the mismatch is a property of IRMAS, stated rather than hidden: the threshold-free LRAP
  (Zhong et al. 2023) sits beside the thresholded scores on every page.

Version 1.1: macro averages over every class (the absent-class rule); the threshold's grid, scores and split
shapes recorded.
"""

from __future__ import annotations

import re
from pathlib import Path

from irbench.data.datasets import AudioFormat, DatasetCard, Reference
from irbench.data.files import audio_files
from irbench.errors import DataNotFoundError, DatasetLayoutError
from irbench.evaluation.protocols import thresholded
from irbench.data.mirdata_source import MirdataSource
from irbench.data.splits import grouped_stratified_split
from irbench.data.standin import read_stand_in_marker
from irbench.task import Clip, ClipScores, Evaluation, PredictionType, Task, TaskData, TaskMetadata

LABELS = ("cel", "cla", "flu", "gac", "gel", "org", "pia", "sax", "tru", "vio", "voi")
LABEL_NAMES = (
    "cello", "clarinet", "flute", "acoustic guitar", "electric guitar", "organ",
    "piano", "saxophone", "trumpet", "violin", "voice",
)
GENRES = ("cou_fol", "cla", "pop_roc", "lat_sou", "jaz_blu")
DRUM_TAGS = ("dru", "nod", "---")  # "---": drums unknown (12 official training names)
TRAINING_FOLDER = "IRMAS-TrainingData"
TESTING_GLOB = "IRMAS-TestingData-Part*"
VALIDATION_FRACTION = 0.15
SPLIT_SEED = 0
MAIN_AGGREGATION = "s2"
OTHER_AGGREGATIONS = ("s1",)

_TRAINING_NAME = re.compile(
    r"^(?:(?P<prefix>\d+)__)?\[(?P<cls>[a-z]{3})\](?:\[(?P<drums>dru|nod|---)\])?"
    r"\[(?P<genre>[a-z]{3}(?:_[a-z]{3})?)\](?P<song>\d+)__(?P<excerpt>\d+)\.[wW][aA][vV]$"
)

CARD = DatasetCard(
    name="IRMAS",
    sources=(MirdataSource("irmas"),),  # Zenodo 1290750 through mirdata, archives checked against its MD5s
    files={"training": 6705, "test": 2874},
    audio=AudioFormat(sample_rate=44_100, channels=2),
    clip_seconds={"train": (3.0, 3.0), "validation": (3.0, 3.0), "test": (5.0, 20.0)},
    stand_in="irbench.synth.irmas:IrmasStandIn",
    references=(
        Reference(method="CNN (Han, Kim & Lee 2017)", metric="micro-F1 / macro-F1", value="0.602 / 0.503",
                  source="IEEE/ACM TASLP 25(1):208-221; arXiv 1605.09507", caveat="threshold grid",
                  comparable_metrics=("micro_f1", "macro_f1")),
        Reference(method="NSynth pre-training (Zhong et al. 2023), mean of 3 runs", metric="micro-F1, LRAP",
                  value="0.674, 0.814", source="arXiv 2306.08850",
                  caveat="their evaluator picks the threshold on the test set, so LRAP is the clean number",
                  comparable_metrics=("micro_f1", "lrap")),
        Reference(method="PaSST fine-tuned (unpublished project)", metric="micro-F1 / macro-F1",
                  value="0.688 / 0.617", source="GitHub timoniko/MusDetect", caveat="not peer reviewed",
                  comparable_metrics=("micro_f1", "macro_f1")),
        Reference(method="multi-STFT PANNs (O. Dahan & O. Hefetz, Technion)", metric="top-1 hit rate on test",
                  value="0.509", source="GitHub ofekdd/DL_Project (project slides)",
                  caveat="bugs: [cla] genre parsed as clarinet, backbone never unfrozen",
                  comparable_metrics=("top1_hit_rate",)),
        Reference(method="VGG, 11 classes (C. Herron Mulet, J. Riera Perramón & S. Estévez Manteiga, UPF 2020)",
                  metric="accuracy on a training-set slice", value="0.642",
                  source="GitHub claudia-hm/IRMAS_Deep_Learning", caveat="not the IRMAS test set"),
    ),
)

METADATA = TaskMetadata(
    name="irmas",
    version="1.1",
    display_name="IRMAS (predominant instrument, 11 classes)",
    description="IRMAS predominant instrument recognition, 11 classes (Han et al. 2017 protocol).",
    dataset="IRMAS",
    labels=LABELS,
    label_names=LABEL_NAMES,
    train_prediction_type=PredictionType.SINGLE_LABEL,
    test_prediction_type=PredictionType.MULTI_LABEL,
    main_score="micro_f1",
    clip_seconds=CARD.clip_seconds,
    test_group_unit="track",
    homepage="https://www.upf.edu/web/mtg/irmas",
    licence="CC BY-NC-SA 3.0 (non-commercial; no redistribution)",
    citation=(
        "@inproceedings{bosch2012irmas,\n  title={A Comparison of Sound Segregation Techniques for "
        "Predominant Instrument Recognition in Musical Audio Signals},\n  author={Bosch, Juan J. and Janer, "
        "Jordi and Fuhrmann, Ferdinand and Herrera, Perfecto},\n  booktitle={Proc. ISMIR},\n  "
        "pages={559--564},\n  year={2012}\n}"
    ),
    card=CARD,
)


def parse_training_name(path: Path) -> dict[str, str | None]:
    """Tags of an IRMAS training file name.

    ``118__[sax][nod][jaz_blu]1702__3.wav`` -> ``{prefix: "118", cls: "sax", drums: "nod",
    genre: "jaz_blu", song: "1702", excerpt: "3"}``; the drum tag and prefix are optional, and the drum tag
    ``[---]`` (drums unknown) gives ``drums: "---"``.

    Raises
    ------
    DatasetLayoutError: the name does not follow the pattern, or its first tag is not an IRMAS class.
    """
    match = _TRAINING_NAME.match(path.name)
    if match is None:
        raise DatasetLayoutError(path, "file name does not follow IRMAS's '[cls][drums?][genre]NNNN__N.wav'")
    tags = match.groupdict()
    if tags["cls"] not in LABELS:
        raise DatasetLayoutError(path, f"first tag [{tags['cls']}] is not an IRMAS class ({' '.join(LABELS)})")
    if tags["genre"] not in GENRES:
        raise DatasetLayoutError(path, f"genre tag [{tags['genre']}] is not one of {' '.join(GENRES)}")
    return tags


def read_test_labels(path: Path) -> tuple[str, ...]:
    """Labels of an IRMAS test clip from its ``.txt`` (one label per line, trailing TAB allowed).

    Raises
    ------
    DatasetLayoutError: the file is missing or empty, or a line holds an unknown label (names the line).
    """
    if not path.exists():
        raise DatasetLayoutError(path, "label file missing for this test clip")
    labels: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8-sig", errors="replace").splitlines(), 1):
        label = line.strip()
        if not label:
            continue
        if label not in LABELS:
            raise DatasetLayoutError(path, f"unknown IRMAS label {label!r}", line=number)
        if label not in labels:
            labels.append(label)
    if not labels:
        raise DatasetLayoutError(path, "label file holds no label")
    return tuple(labels)


def _label_file(clip: Path) -> Path:
    """A test clip's label file: ``<name>.txt``, or ``<name>.TXT`` when only that exists (a clip named
    ``.WAV`` copied from Windows may come with one)."""
    lower = clip.with_suffix(".txt")
    upper = clip.with_suffix(".TXT")
    return upper if not lower.exists() and upper.exists() else lower


def excerpt_track(path: Path) -> str:
    """The track an IRMAS test excerpt comes from: its name without the ``-<n>`` excerpt number
    (``02 - And The Body Will Die-8.wav`` -> ``02 - And The Body Will Die``)."""
    return re.sub(r"-\d+$", "", Path(path).stem)


def _missing_data_message(data_home: Path, what: str) -> str:
    return (
        f"no IRMAS {what} under {data_home}. Download it with `irbench data download irmas --data-home "
        f"{data_home}` (Zenodo record 1290750, about 3 GB) or run `irbench data synth irmas --out {data_home}`."
    )


class IrmasTask(Task):
    """IRMAS, 11 predominant-instrument classes; see the module docstring for the layout and protocol."""

    metadata = METADATA

    def load(self, data_home: Path, allow_missing: bool = False) -> TaskData:
        """Read training and test clips under ``data_home`` and carve the validation split.

        IRMAS has no file list of its own, so ``allow_missing`` has nothing to check here.

        Returns ``TaskData`` with splits ``train``, ``validation``, ``test``, clips sorted by ``clip_id``.

        Raises
        ------
        DataNotFoundError: no training folder or no test clip under ``data_home``.
        DatasetLayoutError: a file name or label file breaks the layout.
        """
        data_home = Path(data_home).expanduser().resolve()
        training_root = data_home / TRAINING_FOLDER
        if not training_root.is_dir():
            raise DataNotFoundError(_missing_data_message(data_home, f"training data ({TRAINING_FOLDER}/)"))
        training = [self._training_clip(data_home, p) for p in audio_files(training_root, "*/*", ".wav")]
        if not training:
            raise DataNotFoundError(_missing_data_message(data_home, "training clips"))
        test = [
            Clip(
                clip_id=p.relative_to(data_home).as_posix(),
                path=p,
                labels=read_test_labels(_label_file(p)),
                group=excerpt_track(p),
            )
            for p in audio_files(data_home, f"{TESTING_GLOB}/*/*", ".wav")
        ]
        if not test:
            raise DataNotFoundError(_missing_data_message(data_home, "test clips (IRMAS-TestingData-Part*/)"))
        train, validation = grouped_stratified_split(training, VALIDATION_FRACTION, SPLIT_SEED)
        marker = read_stand_in_marker(data_home)
        return TaskData(
            data_home=data_home,
            splits={"train": train, "validation": validation, "test": test},
            stand_in=marker is not None,
            stand_in_info=marker,
        )

    @staticmethod
    def _training_clip(data_home: Path, path: Path) -> Clip:
        tags = parse_training_name(path)
        if tags["cls"] != path.parent.name:
            raise DatasetLayoutError(
                path, f"first tag [{tags['cls']}] disagrees with its class folder {path.parent.name}/"
            )
        return Clip(
            clip_id=path.relative_to(data_home).as_posix(),
            path=path,
            labels=(tags["cls"],),
            group=f"{tags['cls']}/{tags['song']}",
            metadata={"genre": tags["genre"], "drums": tags["drums"] if tags["drums"] in ("dru", "nod") else "unknown"},
        )

    def evaluate(self, validation: ClipScores, test: ClipScores) -> Evaluation:
        """Han et al.'s protocol: S2 (headline) and S1 aggregation, threshold chosen on validation micro-F1.

        Without validation clips (a handful of real files) the threshold falls back to 0.5, and the record's
        ``threshold.chosen_on`` says so.
        """
        return thresholded(validation, test, LABELS, main=MAIN_AGGREGATION, others=OTHER_AGGREGATIONS,
                           window_outputs="softmax")
