"""Leaderboard plots drawn with matplotlib's object API into inline SVG strings.

Importing or calling this module changes no global matplotlib state: figures are
``matplotlib.figure.Figure`` objects rendered by ``FigureCanvasSVG`` (no pyplot, no backend switch) under a
local ``matplotlib.rc_context`` (text as SVG text in the first sans-serif font the reader's browser has, a
fixed hash salt so the SVG is reproducible, no TeX). Text as glyph paths (``svg.fonttype: path``) measured
1.4x the drawing time of a 20-class bar plot (321 against 235 ms) and 1.7x its size (92 against 54 kB).
The SVG writer escapes every text, so a name from a record cannot open a tag.
Every text that comes from a record passes through :func:`irbench.report.safety.plot_text`, so mathtext
never parses it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib
import numpy as np
from cycler import cycler
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from irbench.report.safety import plot_text

RC = {"svg.fonttype": "none", "svg.hashsalt": "irbench", "font.size": 9, "text.usetex": False,
      "axes.prop_cycle": cycler(color=["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"])}
NO_SUPPORT = "#d5d9e0"
MAX_CURVE_POINTS = 600


@contextmanager
def _figure(width: float, height: float) -> Iterator[Figure]:
    with matplotlib.rc_context(RC):
        figure = Figure(figsize=(width, height), layout="constrained")
        FigureCanvasSVG(figure)
        yield figure


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(RC):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _bars(axis, y: np.ndarray, widths: np.ndarray, height: float, **style) -> None:
    """Horizontal bars from 0 to ``widths`` ``(n,)`` centred at ``y`` ``(n,)`` as ONE ``PolyCollection``
    (NaN widths drawn as nothing): what ``axis.barh`` draws, at a fifth of its cost for a board's
    8 rows x 20 classes (one patch per bar, each updating the data limits, was a third of a plot's time).
    ``style`` goes to the collection (``color``, ``alpha``, ``label``)."""
    keep = ~np.isnan(widths)
    y, widths = y[keep], widths[keep]
    low, high = y - height / 2, y + height / 2
    boxes = np.stack([np.stack([np.zeros_like(widths), low], 1), np.stack([widths, low], 1),
                      np.stack([widths, high], 1), np.stack([np.zeros_like(widths), high], 1)], 1)
    colour = style.pop("color")
    axis.add_collection(PolyCollection(boxes, facecolors=colour, edgecolors="none", linewidths=0, **style),
                        autolim=False)


def per_class_f1(class_names: list[str], f1_by_row: dict[str, list[float | None]]) -> str:
    """Grouped horizontal bars of per-class F1 (mean over seeds), one colour per row.

    Parameters
    ----------
    class_names: instrument names, ``(n_classes,)`` (e.g. "cello", not "cel").
    f1_by_row: row label -> ``(n_classes,)`` F1 in [0, 1], ``None`` where the class has no test support.

    An F1 of exactly 0 is drawn as a marker and a "0" (a bar of length 0 would be invisible); a class
    without support gets a hatched grey band reading "n/a (no support)".
    """
    n_rows = max(1, len(f1_by_row))
    height = 0.8 / n_rows
    with _figure(7, 0.3 * len(class_names) * n_rows ** 0.5 + 1.4) as figure:
        axis = figure.add_subplot()
        positions = np.arange(len(class_names))
        colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        for index, (label, values) in enumerate(f1_by_row.items()):
            colour = colours[index % len(colours)]
            y = positions - 0.4 + height * (index + 0.5)
            bars = np.array([np.nan if v is None else v for v in values], dtype=float)
            _bars(axis, y, bars, height, color=colour, label=plot_text(label))
            zero = np.flatnonzero(bars == 0)
            axis.plot(np.zeros(len(zero)), y[zero], marker="|", markersize=9, markeredgewidth=2, linestyle="",
                      color=colour)
            for yy in y[zero]:
                axis.text(0.012, yy, "0", va="center", fontsize=7, color=colour)
        missing = [i for i in range(len(class_names)) if all(v[i] is None for v in f1_by_row.values())]
        for i in missing:
            axis.barh(i, 1, 0.8, color=NO_SUPPORT, hatch="///", edgecolor="#9aa3b2", linewidth=0)
            axis.text(0.5, i, "n/a (no support)", ha="center", va="center", fontsize=8, color="#4a5263")
        axis.set_yticks(positions, [plot_text(n) for n in class_names])
        axis.set_ylim(len(class_names) - 0.5, -0.5)  # first class on top (the bars set no data limits)
        axis.set_xlim(0, 1)
        axis.set_xlabel("F1 (mean over seeds)")
        handles, names = axis.get_legend_handles_labels()
        if missing:
            handles.append(Patch(facecolor=NO_SUPPORT, hatch="///", edgecolor="#9aa3b2"))
            names.append("no test support")
        figure.legend(handles, names, loc="outside lower center", fontsize=8, ncol=2, frameon=False)
        axis.grid(axis="x", alpha=0.3)
        return _svg(figure)


def has_ranking(scores: np.ndarray, mask: np.ndarray) -> bool:
    """Whether scores rank clips at all: false when every class gives all annotated clips one score (the
    constant floor), so a precision-recall curve would be an artefact of tie-breaking."""
    observed = mask > 0
    for c in range(scores.shape[1]):
        column = scores[observed[:, c], c]
        if column.size and np.ptp(column) > 0:
            return True
    return False


def _operating_point(targets: np.ndarray, predictions: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    observed = mask > 0
    truth, decision = targets[observed] > 0, predictions[observed] > 0
    tp = float((truth & decision).sum())
    predicted, positive = float(decision.sum()), float(truth.sum())
    return (tp / positive if positive else 0.0), (tp / predicted if predicted else 0.0)


def precision_recall(curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]) -> str:
    """Micro-averaged precision-recall over annotated test pairs, one curve per row (its first seed).

    Parameters
    ----------
    curves: row label -> ``(targets, predictions, scores, mask)``, each ``(n_clips, n_classes)``.

    Each curve carries a dot at the run's decision (its threshold). A row whose scores rank nothing
    (:func:`has_ranking`) is drawn as that single operating point, not as a line.
    """
    from irbench.evaluation.metrics import precision_recall_points

    with _figure(5.4, 4.2) as figure:
        axis = figure.add_subplot()
        colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        for index, (label, (targets, predictions, scores, mask)) in enumerate(curves.items()):
            colour = colours[index % len(colours)]
            observed = mask > 0
            if targets[observed].sum() == 0:
                continue
            recall_at, precision_at = _operating_point(targets, predictions, mask)
            if has_ranking(scores, mask):
                precision, recall = precision_recall_points(targets[observed], scores[observed])
                keep = np.unique(np.linspace(0, len(recall) - 1, min(len(recall), MAX_CURVE_POINTS)).astype(int))
                precision, recall = precision[keep], recall[keep]  # a full test set has ~30,000 thresholds
                axis.plot(recall, precision, color=colour, label=plot_text(label))
                axis.plot([recall_at], [precision_at], marker="o", color=colour, markersize=5, linestyle="")
            else:
                axis.plot([recall_at], [precision_at], marker="D", color=colour, markersize=7, linestyle="",
                          label=plot_text(f"{label}: one operating point (no score ranking)"))
        axis.set_xlabel("recall")
        axis.set_ylabel("precision")
        axis.set_xlim(0, 1.03)
        axis.set_ylim(0, 1.03)
        axis.grid(alpha=0.3)
        figure.legend(loc="outside lower center", fontsize=7, frameon=False)
        axis.set_title("micro-averaged precision-recall (first seed; dot = decision)")
        return _svg(figure)


def class_errors(class_names: list[str], errors_by_row: dict[str, tuple[list[float | None], list[float | None]]]) -> str:
    """Diverging bars per class: false negatives to the left, false positives to the right, one colour
    per row (mean over seeds).

    Parameters
    ----------
    class_names: ``(n_classes,)`` instrument names.
    errors_by_row: row label -> (false positives, false negatives), each ``(n_classes,)`` test-clip
        counts, ``None`` where unknown.
    """
    n_rows = max(1, len(errors_by_row))
    height = 0.8 / n_rows
    with _figure(7, 0.3 * len(class_names) * n_rows ** 0.5 + 1.4) as figure:
        axis = figure.add_subplot()
        positions = np.arange(len(class_names))
        colours = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
        for index, (label, (fp, fn)) in enumerate(errors_by_row.items()):
            colour = colours[index % len(colours)]
            y = positions - 0.4 + height * (index + 0.5)
            as_array = lambda values: np.array([np.nan if v is None else v for v in values], dtype=float)  # noqa: E731
            _bars(axis, y, as_array(fp), height, color=colour, label=plot_text(label))
            _bars(axis, y, -as_array(fn), height, color=colour, alpha=0.55)
        axis.axvline(0, color="#4a5263", linewidth=0.8)
        axis.set_yticks(positions, [plot_text(n) for n in class_names])
        axis.set_ylim(len(class_names) - 0.5, -0.5)  # first class on top (the bars set no data limits)
        limit = max([abs(v) for fp, fn in errors_by_row.values() for v in (*fp, *fn) if v is not None] + [1])
        axis.set_xlim(-limit * 1.05, limit * 1.05)
        axis.set_xlabel("← false negatives (missed)      false positives (wrongly predicted) →")
        figure.legend(loc="outside lower center", fontsize=8, ncol=2, frameon=False)
        axis.grid(axis="x", alpha=0.3)
        axis.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{abs(x):g}"))
        return _svg(figure)
