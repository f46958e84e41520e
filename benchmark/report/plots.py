"""Leaderboard plots rendered by matplotlib to inline SVG (glyphs drawn as paths: no text to escape, no fonts
to load). Each function returns an ``<svg>`` string."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402

matplotlib.rcParams.update({"svg.fonttype": "path", "svg.hashsalt": "irbench", "font.size": 9})


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def per_class_f1(labels: list[str], f1_by_baseline: dict[str, list[float | None]]) -> str:
    """Grouped horizontal bars: per-class F1 (mean over seeds) of each baseline; missing bars = no support."""
    figure, axis = plt.subplots(figsize=(7, 0.32 * len(labels) * max(1, len(f1_by_baseline)) ** 0.5 + 1.2))
    height = 0.8 / max(1, len(f1_by_baseline))
    positions = np.arange(len(labels))
    for index, (baseline, values) in enumerate(f1_by_baseline.items()):
        bars = [np.nan if v is None else v for v in values]
        axis.barh(positions + index * height, bars, height, label=baseline)
    axis.set_yticks(positions + height * (len(f1_by_baseline) - 1) / 2, labels)
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.set_xlabel("F1 (mean over seeds)")
    axis.legend(loc="lower right", fontsize=8)
    axis.grid(axis="x", alpha=0.3)
    return _svg(figure)


def confusion(labels: list[str], matrix: np.ndarray, title: str) -> str:
    """Row-normalised confusion matrix (true classes as rows), counts in the cells."""
    rows = matrix.sum(axis=1, keepdims=True)
    share = np.divide(matrix, rows, out=np.zeros_like(matrix, dtype=float), where=rows > 0)
    figure, axis = plt.subplots(figsize=(0.5 * len(labels) + 2, 0.5 * len(labels) + 1.5))
    axis.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(matrix):
        axis.text(j, i, str(int(count)), ha="center", va="center", color="white" if share[i, j] > 0.5 else "black",
                  fontsize=7)
    axis.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axis.set_yticks(range(len(labels)), labels)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    return _svg(figure)


def read_predictions(path: Path, labels: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A run's predictions CSV -> ``(targets, scores, mask)``, each ``(n_clips, n_classes)``."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    index = {label: i for i, label in enumerate(labels)}

    def encode(field: str, default_all: bool) -> np.ndarray:
        out = np.zeros((len(rows), len(labels)))
        for r, row in enumerate(rows):
            names = row.get(field)
            chosen = labels if (names is None and default_all) else [n for n in (names or "").split(";") if n]
            for name in chosen:
                out[r, index[name]] = 1
        return out

    scores = np.array([[float(row[f"score_{label}"]) for label in labels] for row in rows]).reshape(len(rows), len(labels))
    return encode("labels", False), scores, encode("observed", True)


def precision_recall(curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> str:
    """Micro-averaged precision-recall curve of each baseline over (observed) test pairs."""
    figure, axis = plt.subplots(figsize=(5, 4))
    for baseline, (targets, scores, mask) in curves.items():
        observed = mask.astype(bool)
        if targets[observed].sum() == 0:
            continue
        precision, recall, _ = precision_recall_curve(targets[observed], scores[observed])
        axis.plot(recall, precision, label=baseline)
    axis.set_xlabel("recall")
    axis.set_ylabel("precision")
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1.02)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    axis.set_title("micro-averaged precision-recall (first seed)")
    return _svg(figure)
