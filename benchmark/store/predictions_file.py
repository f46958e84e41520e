"""A run's per-clip predictions (``seed-<n>.predictions.csv``): written after evaluation, read back as arrays
by the report, which recomputes the main score from them. Reader and writer live together so the format has
one definition.

Beside each file, ``seed-<n>.predictions.npz`` holds the same table as arrays (:func:`write_binary_copy`),
with the SHA-256 of the CSV it was parsed from: the report reads it when that hash matches the CSV's bytes
and the labels are the board's (parsing 1,000 CSV files cost 4.5 of the report's CPU-s), and the CSV
otherwise. The CSV stays the format of record; a copy that is stale, damaged or of other labels is ignored.

Columns: ``clip_id``, ``group`` (the clip's bootstrap unit: an IRMAS track, a MusicNet recording, a
Medley-solos-DB song, an OpenMIC FMA track; older files lack it and each clip is its own group),
``labels``, ``predicted``, ``observed`` (``;``-joined labels) and ``score_<label>`` per class.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from irbench.store.atomic import atomic_path
from irbench.evaluation.metrics import headline_metric
from irbench.evaluation.types import ClipScores, Evaluation

RECOMPUTABLE = frozenset({"accuracy", "micro_f1", "macro_f1", "map"})
"""Main scores :func:`irbench.evaluation.metrics.headline_metric` recomputes from a predictions file."""


class PredictionsError(ValueError):
    """A predictions file cannot be read against the board's labels (the message says why)."""


@dataclass(frozen=True)
class ClipTable:
    """The test clips of one run.

    Attributes
    ----------
    clip_ids: ``(n_clips,)`` identifiers, file order.
    groups: ``(n_clips,)`` bootstrap unit of each clip (the clip id itself when the file has no ``group``).
    has_groups: whether the file had a ``group`` column.
    targets, predictions, mask: ``(n_clips, n_classes)`` 0/1 ground truth, decisions and annotated pairs.
    scores: ``(n_clips, n_classes)`` aggregated class scores in [0, 1].
    """

    clip_ids: np.ndarray
    groups: np.ndarray
    has_groups: bool
    targets: np.ndarray
    predictions: np.ndarray
    scores: np.ndarray
    mask: np.ndarray

    def reordered(self, clip_ids: np.ndarray) -> ClipTable | None:
        """The same table in the order of ``clip_ids``; ``None`` when the clip sets differ (``self`` when the
        order is already that one, as for every seed of a run)."""
        if len(clip_ids) == len(self.clip_ids) and np.array_equal(clip_ids, self.clip_ids):
            return self
        if len(clip_ids) != len(self.clip_ids) or set(clip_ids.tolist()) != set(self.clip_ids.tolist()):
            return None
        position = {c: i for i, c in enumerate(self.clip_ids.tolist())}
        order = np.array([position[c] for c in clip_ids.tolist()], dtype=int)
        return ClipTable(self.clip_ids[order], self.groups[order], self.has_groups, self.targets[order],
                         self.predictions[order], self.scores[order], self.mask[order])

    def counts(self) -> dict[str, np.ndarray]:
        """Per-class ``true_positives``, ``false_positives``, ``false_negatives`` over annotated pairs,
        each ``(n_classes,)`` int."""
        truth, decision, observed = self.targets > 0, self.predictions > 0, self.mask > 0
        return {
            "true_positives": (truth & decision & observed).sum(axis=0),
            "false_positives": (~truth & decision & observed).sum(axis=0),
            "false_negatives": (truth & ~decision & observed).sum(axis=0),
        }

    def decision_scores(self) -> np.ndarray:
        """Scores that rank the recorded decision first (``predictions + scores``): their arg-max is the
        decided class even where rounding to 6 decimals in the file made two scores equal."""
        return self.predictions + self.scores

    def headline(self, metric: str) -> float:
        """The run's ``metric`` on the whole test set, by :func:`~irbench.evaluation.metrics.headline_metric`.

        Raises ``ValueError`` for a metric outside :data:`RECOMPUTABLE`.
        """
        scores = self.decision_scores() if metric == "accuracy" else self.scores
        return headline_metric(metric, self.targets, self.predictions, scores, self.mask)


def _encode(cells: list[str | None], index: dict[str, int], default_all: bool) -> np.ndarray:
    """``;``-joined label cells ``(n_clips,)`` as 0/1 ``(n_clips, n_classes)`` int8, each distinct cell parsed
    once; a missing cell (``None``) is all ones when ``default_all``. Raises ``PredictionsError`` for a
    label outside ``index`` (the first such cell in file order)."""
    codes: dict[str | None, int] = {}
    of_clip = np.array([codes.setdefault(cell, len(codes)) for cell in cells], dtype=np.int64)
    patterns = np.zeros((len(codes), len(index)), dtype=np.int8)
    for code, cell in enumerate(codes):
        if cell is None and default_all:
            patterns[code] = 1
            continue
        for name in (cell or "").split(";"):
            if name:
                if name not in index:
                    raise PredictionsError(f"label {name!r} is not one of the board's classes")
                patterns[code, index[name]] = 1
    return patterns[of_clip] if len(cells) else np.zeros((0, len(index)), dtype=np.int8)


def _columns(handle) -> tuple[list[str], dict[str, list[str | None]]]:
    """The header and each named column of a CSV file (``csv.DictReader``'s reading: blank lines skipped,
    a short row's missing cells ``None``, a long row's extra cells ignored, a repeated name's last column)."""
    reader = csv.reader(handle)
    header = next(reader, None) or []
    rows = [row for row in reader if row]
    width = len(header)
    if any(len(row) != width for row in rows):
        rows = [row[:width] + [None] * (width - len(row)) for row in rows]
    cells = list(zip(*rows)) if rows else [()] * width
    return header, {name: list(cells[i]) for i, name in enumerate(header)}


@functools.lru_cache(maxsize=64)
def _read(path: str, mtime: float, labels: tuple[str, ...]) -> ClipTable:
    del mtime  # part of the cache key only: a rewritten file is read again
    copied = _binary_copy(Path(path), labels)
    return copied if copied is not None else _parse_csv(path, labels)


def _parse_csv(path: str, labels: tuple[str, ...]) -> ClipTable:
    """The predictions CSV at ``path`` as a table in the order of ``labels`` (raises as
    :func:`read_clip_table`)."""
    with open(path, newline="", encoding="utf-8") as handle:
        header, columns = _columns(handle)
    n_clips = len(next(iter(columns.values()), []))
    if not n_clips:  # no clip: no column is needed (as when rows were read one by one)
        columns = {name: [] for name in (*columns, "clip_id", *(f"score_{label}" for label in labels))}
    index = {label: i for i, label in enumerate(labels)}
    try:
        scores = np.empty((n_clips, len(labels)), dtype=np.float64)
        for i, label in enumerate(labels):
            scores[:, i] = np.fromiter(map(float, columns[f"score_{label}"]), dtype=np.float64, count=n_clips)
        clip_ids = np.array(columns["clip_id"], dtype=object)
    except (KeyError, TypeError, ValueError) as error:
        raise PredictionsError(f"missing or malformed column ({error})") from error
    has_groups = n_clips > 0 and "group" in columns
    groups = np.array(columns["group"], dtype=object) if has_groups else clip_ids.copy()
    missing = [None] * n_clips
    return ClipTable(
        clip_ids=clip_ids, groups=groups, has_groups=has_groups,
        targets=_encode(columns.get("labels", missing), index, False),
        predictions=_encode(columns.get("predicted", missing), index, False),
        scores=scores,
        mask=_encode(columns.get("observed", missing), index, True),
    )


def binary_copy_path(path: Path) -> Path:
    """Where the binary copy of the predictions CSV ``path`` lives: ``seed-0.predictions.npz`` beside it."""
    return Path(path).with_suffix(".npz")


def write_binary_copy(path: Path, labels: tuple[str, ...]) -> None:
    """Parse the predictions CSV ``path`` against ``labels`` and write its arrays to
    :func:`binary_copy_path` (atomically; ``numpy.savez``, no pickled objects): ``header`` (the CSV's
    SHA-256, ``1`` or ``0`` for its group column, then the labels), ``ids`` ``(2, n_clips)`` (clip ids,
    groups), ``decisions`` ``(3, n_clips, n_classes)`` int8 (targets, predictions, mask) and ``scores``
    ``(n_clips, n_classes)`` float64; four members, since each costs about 0.15 ms to open. Raises
    ``OSError`` and ``PredictionsError`` as :func:`read_clip_table`."""
    data = Path(path).read_bytes()
    table = _parse_csv(str(path), tuple(labels))
    header = np.array([hashlib.sha256(data).hexdigest(), str(int(table.has_groups)), *labels], dtype=str)
    with atomic_path(binary_copy_path(path)) as temporary, open(temporary, "wb") as handle:
        np.savez(handle, header=header, ids=np.array([table.clip_ids, table.groups], dtype=str).reshape(2, -1),
                 decisions=np.stack([table.targets, table.predictions, table.mask]).astype(np.int8),
                 scores=table.scores)


def _binary_copy(path: Path, labels: tuple[str, ...]) -> ClipTable | None:
    """The table from the binary copy of ``path`` when it exists, is readable, was parsed from exactly
    these CSV bytes and holds ``labels`` in this order; ``None`` otherwise (then the CSV is parsed)."""
    copy = binary_copy_path(path)
    if not copy.is_file():
        return None
    try:
        with np.load(copy, allow_pickle=False) as arrays:
            header = arrays["header"].tolist()
            if header[:1] != [hashlib.sha256(path.read_bytes()).hexdigest()] or tuple(header[2:]) != labels:
                return None
            ids, decisions, scores = arrays["ids"], arrays["decisions"], arrays["scores"]
    except (OSError, KeyError, ValueError, TypeError, AttributeError, zipfile.BadZipFile):
        return None
    n_clips = ids.shape[-1] if ids.ndim == 2 else -1
    if ids.shape != (2, n_clips) or decisions.shape != (3, n_clips, len(labels)) or \
            scores.shape != (n_clips, len(labels)) or ids.dtype.kind != "U":
        return None
    return ClipTable(clip_ids=ids[0].astype(object), groups=ids[1].astype(object), has_groups=header[1] == "1",
                     targets=decisions[0].astype(np.int8), predictions=decisions[1].astype(np.int8),
                     scores=scores.astype(np.float64), mask=decisions[2].astype(np.int8))


def read_clip_table(path: Path, labels: list[str] | tuple[str, ...]) -> ClipTable:
    """Read a predictions CSV against ``labels`` (the board's class order): from its binary copy when that
    matches the CSV's bytes (:func:`write_binary_copy`), else by parsing the CSV; cached per file version.

    Raises
    ------
    OSError: the file cannot be read.
    PredictionsError: a score column is missing or not a number, or a label is not among ``labels``.
    """
    path = Path(path)
    return _read(str(path.resolve()), path.stat().st_mtime, tuple(labels))


def write_predictions(path, labels: tuple[str, ...], test: ClipScores, evaluation: Evaluation,
                      groups: dict[str, str] | None = None) -> None:
    """One row per test clip: ``clip_id``, ``group`` (the clip's independent unit for bootstrap intervals:
    its track, recording or song; the clip itself when it has none), true, predicted and annotated labels
    (``;``-joined; ``observed`` differs from all labels only with partial labels), then one aggregated score
    column per class (``score_<label>``, in [0, 1]). Written atomically."""
    groups = groups or {}
    with atomic_path(path) as temporary, open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["clip_id", "group", "labels", "predicted", "observed",
                         *(f"score_{label}" for label in labels)])
        for row, clip_id in enumerate(test.clip_ids):
            truth = ";".join(label for label, t in zip(labels, test.targets[row]) if t)
            predicted = ";".join(label for label, p in zip(labels, evaluation.clip_predictions[row]) if p)
            observed = ";".join(label for label, m in zip(labels, test.mask[row]) if m)
            writer.writerow([clip_id, groups.get(clip_id, clip_id), truth, predicted, observed,
                             *(f"{s:.6f}" for s in evaluation.clip_scores[row])])
