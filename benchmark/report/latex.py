"""Leaderboards as LaTeX: one booktabs ``table`` float per leaderboard, ready for a paper.

Each table has the main metrics only (the main score plus the task's short default list, or the report's
``--metrics``), mean ± sample standard deviation and n, the best value per column in bold, the difference
to the best row with its paired bootstrap interval, a caption naming the task, protocol version, seeds and
whether the data is an offline stand-in, and ``\\label{tab:irbench-<task>}`` (``-stand-in`` appended for
stand-in results, ``-v<version>`` when one task has several protocol versions). Needs
``\\usepackage{booktabs}``.
"""

from __future__ import annotations

import re

from collections import Counter

from irbench import __version__
from irbench.evaluation.metric_registry import display_name
from irbench.report.collect import Leaderboard, Row
from irbench.report.tables import best_rows, caption, difference_text, row_name, spread_text
from irbench.report.task_info import task_info

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
                  ">": r"\textgreater{}", "\n": " ", "\r": " "}
_UNICODE = {"±": r"$\pm$", "Δ": r"$\Delta$", "−": r"$-$", "–": "--", "†": r"$^\dagger$", "…": r"\ldots{}"}


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
    """``tab:irbench-<task>[-stand-in][-v<version>]``, unique among ``boards``; every part passes
    :func:`label_text`, so a record's task version cannot end the label and inject commands."""
    versions = Counter((b.task, b.stand_in) for b in boards)
    text = f"tab:irbench-{board.task}" + ("-stand-in" if board.stand_in else "")
    return label_text(text + (f"-v{board.task_version}" if versions[(board.task, board.stand_in)] > 1 else ""))


def _cell(row: Row, metric: str, bold: bool) -> str:
    text = latex_escape(spread_text(row.metrics.get(metric)))
    return rf"\textbf{{{text}}}" if bold else text


def table(board: Leaderboard, boards: list[Leaderboard]) -> str:
    """One ``table`` float (booktabs rules) for ``board``."""
    paired = bool(board.paired and board.paired.resamples)
    columns = "l" + "r" * (1 + len(board.columns)) + ("l" if paired else "")
    header = ["Baseline", "$n$", *(latex_escape(display_name(m)) for m in board.columns)]
    header += [latex_escape(f"Δ {display_name(board.main_score)} [95% CI]")] if paired else []
    best = {m: best_rows(board, m) for m in board.columns}
    body = []
    for i, row in enumerate(board.rows):
        cells = [latex_escape(row_name(row)), str(len(row.seeds)), *(_cell(row, m, i in best[m]) for m in board.columns)]
        cells += [latex_escape(difference_text(row))] if paired else []
        body.append(" & ".join(cells) + r" \\")
    return "\n".join([
        f"% irbench {__version__}: {latex_escape(task_info(board.task).title)}, "
        f"{'offline stand-in' if board.stand_in else 'real data'}; needs \\usepackage{{booktabs}}",
        r"\begin{table}[tbp]", r"\centering", r"\caption{" + latex_escape(caption(board)) + "}",
        r"\label{" + label(board, boards) + "}", r"\begin{tabular}{" + columns + "}", r"\toprule",
        " & ".join(header) + r" \\", r"\midrule", *body, r"\bottomrule", r"\end{tabular}", r"\end{table}",
    ])


def latex(boards: list[Leaderboard]) -> str:
    """Every leaderboard as a LaTeX ``table``, separated by blank lines."""
    return "\n\n".join(table(board, boards) for board in boards) + "\n"
