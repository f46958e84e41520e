"""Keeping what a record says from attacking the report's reader.

A run record may come from anywhere (a colleague's results folder, a pull request), so the report treats
every string in it as hostile:

- task names must match :data:`NAME_PATTERN` before a record is read into the report (file names and
  links are built from them: ``javascript:...`` in an ``href``, ``../`` in a path); baseline names must
  match :data:`BASELINE_PATTERN` (the same, or a track prefix ``probe:`` / ``zero-shot:`` followed by
  ``:``-separated parts, ``probe:hear:my_module``). A baseline name never becomes a file name, link or
  LaTeX label: HTML ids are built by :func:`html_id`, which keeps only ``[a-z0-9._-]`` (``href="probe:hear:x"``
  would be read as a URL with the scheme ``probe``) and adds a digest so distinct names stay distinct;
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

BASELINE_PATTERN = re.compile(
    r"^(?:[a-z0-9][a-z0-9._-]*|(?:probe|zero-shot)(?::[A-Za-z0-9_][A-Za-z0-9._-]*)+)$")
"""Baseline names the report accepts: a :data:`NAME_PATTERN` name, or ``probe:`` / ``zero-shot:`` and
one or more ``:``-separated parts of letters (either case: Python module names), digits, ``.``, ``_``
and ``-`` (``probe:hear:my_module``, ``zero-shot:cnn14-audioset``); at most :data:`MAX_NAME` characters."""
MAX_NAME = 200
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ID_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def is_safe_name(name: object) -> bool:
    """Whether ``name`` is a string matching :data:`NAME_PATTERN` (safe in a file name, URL and id)."""
    return isinstance(name, str) and NAME_PATTERN.fullmatch(name) is not None


def is_safe_baseline(name: object) -> bool:
    """Whether ``name`` is a string matching :data:`BASELINE_PATTERN` of at most :data:`MAX_NAME`
    characters. Safe as text once escaped for the format; never used as a path or link."""
    return isinstance(name, str) and len(name) <= MAX_NAME and BASELINE_PATTERN.fullmatch(name) is not None


def html_id(*parts: object) -> str:
    """An HTML ``id`` (and URL fragment) built from ``parts`` joined by ``-``: lower-cased, every character
    outside ``[a-z0-9._-]`` replaced by ``-`` and, when anything was replaced, 8 hex digits of the SHA-1 of
    the original appended (``probe:hear:x`` -> ``probe-hear-x-1a2b3c4d``), so two names that read alike
    once cleaned keep distinct ids. At most 120 characters before the digest."""
    import hashlib

    text = "-".join(str(part) for part in parts)
    cleaned = _ID_UNSAFE.sub("-", text.lower()).strip("-")[:120] or "x"
    if cleaned == text:
        return cleaned
    return f"{cleaned}-{hashlib.sha1(text.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


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
