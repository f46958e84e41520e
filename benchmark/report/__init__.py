"""Rendering run records into leaderboards: self-contained HTML pages, or Markdown, LaTeX and CSV tables."""

from __future__ import annotations

from pathlib import Path

from irbench.errors import DataNotFoundError
from irbench.records import find_records, read_record
from irbench.registry import Registry

FORMATS: Registry = Registry("report format")
FORMATS.register_lazy("html", "irbench.report.html:render_html")
FORMATS.register("markdown", lambda *a: _table("markdown", "md")(*a))
FORMATS.register("latex", lambda *a: _table("latex", "tex")(*a))
FORMATS.register("csv", lambda *a: _table("to_csv", "csv")(*a))


def _table(name: str, suffix: str):
    from irbench.report import tables

    return tables.write_table(getattr(tables, name), suffix)


def build_report(results_dir: Path, out_dir: Path, fmt: str = "html") -> Path:
    """Render every record under ``results_dir`` into ``out_dir`` in format ``fmt``; returns the main file.

    Raises
    ------
    DataNotFoundError: no record under ``results_dir``.
    DatasetLayoutError: a record file is not a valid run record (names the file).
    UnknownNameError: an unknown format.
    """
    from irbench.report.collect import Run, leaderboards

    writer = FORMATS.get(fmt)
    paths = find_records(results_dir)
    if not paths:
        raise DataNotFoundError(
            f"no run records under {results_dir}; run e.g. `irbench run --task irmas --baseline vgg "
            f"--data-home DIR --results-dir {results_dir}` first"
        )
    runs = [Run(read_record(p), p) for p in paths]
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return writer(leaderboards(runs), len(runs), Path(out_dir))
