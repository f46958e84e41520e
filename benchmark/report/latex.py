"""Leaderboards as LaTeX: one booktabs ``table`` float per leaderboard, ready for a paper, and each task's
published numbers in a float of their own.

Each table has the main metrics only (the main score plus the task's short default list, or the report's
``--metrics``), mean ± sample standard deviation and n, the best value per column in bold, the difference
to the best row of the same track with its paired bootstrap interval, a caption naming the task, protocol
version, track, seeds and whether the data is an offline stand-in, and ``\\label{tab:irbench-<task>}``
(``-stand-in`` appended for stand-in results, ``-<track>`` for probe and zero-shot tables, ``-v<version>``
when one task has several protocol versions). Needs ``\\usepackage{booktabs}`` only.

Fitting a one-column article (``\\linewidth`` 345 pt in ``article`` at 10 pt; the three-metric IRMAS table
was 103-141 pt too wide, measured with pdfLaTeX's "Overfull \\hbox" report): the table is set in
``\\small`` with ``\\tabcolsep`` 4 pt, each value's ``± std`` sits on a second line under its mean, the
Δ column puts its interval under the difference, and the baseline column is a ragged-right ``p`` column of
:data:`BASELINE_WIDTH` in which long names (``probe:hear:my_module``, configuration labels) wrap at spaces,
``:``, ``.`` and ``/``. Probe and zero-shot rows carry a letter whose note (embedder or tagger, weights
hash, protocol, unmapped classes) is a paragraph under the table, so it wraps too. With the default columns
the test suite compiles the tables inside a one-column article without an overfull box
(``tests/test_report_output.py``); more columns chosen with ``--metrics`` can widen it again.
"""

from __future__ import annotations

import re

from collections import Counter

from irbench import __version__
from irbench.evaluation.metric_registry import display_name
from irbench.report.collect import Leaderboard, Row
from irbench.report.anchors import anchors_for, beside_anchor
from irbench.report.tables import best_rows, by_task, caption, difference_text, row_name, spread_text, unmapped_text
from irbench.report.task_info import task_info
from irbench.store.tracks import SUPERVISED

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
                  ">": r"\textgreater{}", "\n": " ", "\r": " "}
_UNICODE = {"±": r"$\pm$", "Δ": r"$\Delta$", "−": r"$-$", "–": "--", "†": r"$^\dagger$", "…": r"\ldots{}",
            "·": r"$\cdot$"}
BASELINE_WIDTH = r"0.25\linewidth"
"""Width of the baseline column (a ragged-right ``p`` column: long names wrap)."""
_BREAK_AT = re.compile(r"(?<=:)|(?<=\.)(?=[^\d\s])")
_BREAK_AT_UNDERSCORE = re.compile(r"(?<=[:/_])|(?<=\.)(?=[^\d\s])")


def latex_escape(text: str) -> str:
    """Escape LaTeX's special characters in ``text`` (and spell the few non-ASCII signs irbench writes
    as LaTeX commands, so the table compiles with pdfLaTeX)."""
    return "".join(_LATEX_SPECIAL.get(ch) or _UNICODE.get(ch) or ch for ch in str(text))


_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9.:-]+")


def label_text(text: str) -> str:
    """``text`` safe inside ``\\label{...}``: letters, digits, ``.``, ``:`` and ``-`` only (anything else, a
    brace or backslash from a hostile record included, becomes ``-``), at most 80 characters."""
    return _LABEL_UNSAFE.sub("-", str(text))[:80]


def label(board: Leaderboard, boards: list[Leaderboard]) -> str:
    """``tab:irbench-<task>[-stand-in][-<track>][-v<version>]``, unique among ``boards`` (the supervised
    track adds nothing); every part passes :func:`label_text`, so a record's task version cannot end the
    label and inject commands."""
    versions = Counter((b.task, b.stand_in, b.track) for b in boards)
    text = (f"tab:irbench-{board.task}" + ("-stand-in" if board.stand_in else "")
            + ("" if board.track == SUPERVISED else f"-{board.track}"))
    several = versions[(board.task, board.stand_in, board.track)] > 1
    return label_text(text + (f"-v{board.task_version}" if several else ""))


def breakable(text: str, underscores: bool = False) -> str:
    """``text`` escaped (:func:`latex_escape`) with a line-break opportunity (``\\allowbreak``) after each
    ``:`` and each ``.`` not followed by a digit or space, and after ``/`` and ``_`` when ``underscores``
    (names such as ``probe:hear:my_module`` or ``GitHub x/IRMAS_Deep_Learning`` have no spaces to wrap at;
    ``0.602`` stays whole)."""
    pattern = _BREAK_AT_UNDERSCORE if underscores else _BREAK_AT
    return r"\allowbreak{}".join(latex_escape(part) for part in pattern.split(str(text)))


def stacked(first: str, second: str) -> str:
    """Two lines in one right-aligned cell, the first on the row's baseline (a nested ``tabular``, no
    package needed); ``first`` alone when ``second`` is empty. Both are LaTeX already."""
    if not second:
        return first
    return r"\begin{tabular}[t]{@{}r@{}}" + first + r"\\ {}" + second + r"\end{tabular}"


def _cell(row: Row, metric: str, bold: bool) -> str:
    """Mean (bold when best), and ``± std`` in ``\\footnotesize`` on a second line."""
    spread = row.metrics.get(metric)
    mean = latex_escape(spread_text(None)) if spread is None else f"{spread.mean:.3f}"
    std = "" if spread is None or spread.std is None else r"{\footnotesize $\pm$ " + f"{spread.std:.3f}}}"
    return stacked(rf"\textbf{{{mean}}}" if bold else mean, std)


def _difference(row: Row) -> str:
    """The difference, and its interval (with ``†``) on a second line."""
    text = latex_escape(difference_text(row))
    head, _, interval = text.partition(" [")
    return stacked(head, "[" + interval if interval else "")


def _notes(board: Leaderboard) -> tuple[dict[int, str], list[str]]:
    """Letters for probe and zero-shot rows (row index -> ``a``) and the notes under the table."""
    marks: dict[int, str] = {}
    notes = []
    for i, row in enumerate(board.rows):
        text = "; ".join(t for t in (row.track_note, unmapped_text(row)) if t)
        if board.track == SUPERVISED or not text:
            continue
        marks[i] = "abcdefghijklmnopqrstuvwxyz"[len(marks) % 26] * (1 + len(marks) // 26)
        notes.append(rf"\textsuperscript{{{marks[i]}}}\,{breakable(row.label)}: {breakable(text)}")
    return marks, notes


def table(board: Leaderboard, boards: list[Leaderboard]) -> str:
    """One ``table`` float (booktabs rules) for ``board``, laid out to fit ``\\linewidth`` (see the module
    docstring)."""
    paired = bool(board.paired and board.paired.resamples)
    columns = "@{}p{" + BASELINE_WIDTH + "}" + "r" * (1 + len(board.columns)) + ("r" if paired else "") + "@{}"
    header = ["Baseline", "$n$", *(latex_escape(display_name(m)) for m in board.columns)]
    header += [stacked(latex_escape(f"Δ {display_name(board.main_score)}"), r"[95\% CI]")] if paired else []
    best = {m: best_rows(board, m) for m in board.columns}
    marks, notes = _notes(board)
    body = []
    for i, row in enumerate(board.rows):
        name = r"\raggedright " + breakable(row_name(row)) + (rf"\textsuperscript{{{marks[i]}}}" if i in marks else "")
        cells = [name, str(len(row.seeds)), *(_cell(row, m, i in best[m]) for m in board.columns)]
        cells += [_difference(row)] if paired else []
        body.append(" & ".join(cells) + r" \\")
    under = [r"\par\smallskip{\footnotesize\raggedright " + r"\\ ".join(notes) + r"\par}"] if notes else []
    return "\n".join([
        f"% irbench {__version__}: {latex_escape(task_info(board.task).title)}, "
        f"{'offline stand-in' if board.stand_in else 'real data'}, {board.track} track; needs \\usepackage{{booktabs}}",
        r"\begin{table}[tbp]", r"\centering", r"\small", r"\setlength{\tabcolsep}{4pt}",
        r"\caption{" + latex_escape(caption(board)) + "}",
        r"\label{" + label(board, boards) + "}", r"\begin{tabular}{" + columns + "}", r"\toprule",
        " & ".join(header) + r" \\", r"\midrule", *body, r"\bottomrule", r"\end{tabular}", *under, r"\end{table}",
    ])


def published(task: str, boards: list[Leaderboard]) -> str:
    """The task's published numbers (:mod:`irbench.report.anchors`) as a ``table`` float of their own,
    labelled ``tab:irbench-<task>-published``, never rows of a leaderboard; ``""`` when it has none. Its
    columns are ragged-right ``p`` columns summing to less than ``\\linewidth``."""
    anchors = anchors_for(task)
    if not anchors:
        return ""
    beside = beside_anchor(boards)
    widths = ("0.27", "0.15", "0.11", "0.17", "0.18")
    columns = "@{}" + "".join(f"p{{{w}\\linewidth}}" for w in widths) + "@{}"
    header = ["Method (caveat)", "Metric", "Value", "irbench, same quantity", "Source"]
    body = []
    for a in anchors:
        caveat = "; ".join(t for t in (a.caveat, a.training_overlap) if t)
        method = breakable(a.method, True) + (rf" (\emph{{{breakable(caveat, True)}}})" if caveat else "")
        cells = [method, *(breakable(t, True) for t in (a.metric, a.value, beside(a) or "–", a.source))]
        body.append(" & ".join(r"\raggedright " + c for c in cells[:-1]) + r" & \raggedright " + cells[-1]
                    + r" \tabularnewline")
    title = latex_escape(task_info(task).title)
    return "\n".join([
        f"% irbench {__version__}: published numbers on {title}; needs \\usepackage{{booktabs}}",
        r"\begin{table}[tbp]", r"\centering", r"\small", r"\setlength{\tabcolsep}{4pt}",
        r"\caption{Published numbers on " + title + ", as their sources report them: not reproduced by irbench "
        r"and never ranked with its runs; protocols differ (splits, thresholds, windows, label sets).}",
        r"\label{" + label_text(f"tab:irbench-{task}-published") + "}", r"\begin{tabular}{" + columns + "}",
        r"\toprule", " & ".join(header) + r" \\", r"\midrule", *body, r"\bottomrule", r"\end{tabular}",
        r"\end{table}",
    ])


def latex(boards: list[Leaderboard]) -> str:
    """Every leaderboard as a LaTeX ``table`` and, after each task's, its published numbers
    (:func:`published`), separated by blank lines."""
    parts = []
    for task, task_boards in by_task(boards).items():
        parts += [table(board, boards) for board in task_boards]
        parts += [text for text in (published(task, task_boards),) if text]
    return "\n\n".join(parts) + "\n"
