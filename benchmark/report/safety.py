"""Keeping what a record says from attacking the report's reader.

A run record may come from anywhere (a colleague's results folder, a pull request), so the report treats
every string in it as hostile:

- task and baseline names must match :data:`NAME_PATTERN` before a record is read into the report (file
  names and links are built from them: ``javascript:...`` in an ``href``, ``../`` in a path);
- spreadsheet cells that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are prefixed
  with ``'`` (OWASP, "CSV Injection"), so Excel or LibreOffice never evaluates them as formulas;
- text drawn by matplotlib never reaches its mathtext parser (a ``$...$`` name crashed the plot).

HTML is escaped by Jinja's autoescaping and LaTeX by :func:`irbench.report.latex.latex_escape`.
"""

from __future__ import annotations

import re
from pathlib import Path

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
"""Task and baseline names the report accepts: lower-case letters, digits, ``.``, ``_`` and ``-``, not
starting with punctuation (no ``/``, ``:``, spaces or markup)."""

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_safe_name(name: object) -> bool:
    """Whether ``name`` is a string matching :data:`NAME_PATTERN` (safe in a file name, URL and id)."""
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


def csv_cell(text: object) -> str:
    """``text`` as a spreadsheet cell that no spreadsheet evaluates: a leading ``= + - @ TAB CR`` gets a
    ``'`` prefix (OWASP's advice against formula injection). Apply it to strings from records, not to
    numbers irbench formats itself (a negative difference would stop being a number)."""
    value = "" if text is None else str(text)
    return "'" + value if value.startswith(_FORMULA_START) else value


def plot_text(text: object) -> str:
    """``text`` safe to draw with matplotlib: ``$`` escaped so mathtext never parses it, and a leading
    ``_`` (which hides a legend entry) guarded by a space."""
    value = str(text).replace("$", r"\$")
    return " " + value if value.startswith("_") else value


def inside(folder: Path, name: str, suffix: str) -> Path:
    """``folder/<name><suffix>`` for a validated ``name``.

    Raises
    ------
    ValueError: ``name`` fails :data:`NAME_PATTERN`, or the path would leave ``folder`` (defence in depth:
        names are validated when records are read).
    """
    if not is_safe_name(name):
        raise ValueError(f"refusing to build a file name from {name!r}")
    path = Path(folder) / f"{name}{suffix}"
    if path.resolve().parent != Path(folder).resolve():
        raise ValueError(f"{path} would lie outside {folder}")
    return path
