"""Rendering run records into a self-contained HTML leaderboard (jinja2, autoescaped, no network)."""

from __future__ import annotations

import datetime
from pathlib import Path

import jinja2

from irbench import __version__
from irbench.atomic import atomic_write_text
from irbench.errors import DataNotFoundError
from irbench.records import find_records, read_record
from irbench.report.collect import leaderboards


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("irbench.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


def build_report(results_dir: Path, out_dir: Path) -> Path:
    """Render ``out_dir/index.html`` from every record under ``results_dir``; returns its path.

    Raises
    ------
    DataNotFoundError: no record under ``results_dir``.
    DatasetLayoutError: a record file is not a valid run record (names the file).
    """
    paths = find_records(results_dir)
    if not paths:
        raise DataNotFoundError(
            f"no run records under {results_dir}; run e.g. `irbench run --task irmas --baseline vgg "
            f"--data-home DIR --results-dir {results_dir}` first"
        )
    records = [read_record(p) for p in paths]
    html = _environment().get_template("index.html.j2").render(
        boards=leaderboards(records), version=__version__, n_records=len(records),
        generated=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    )
    out = Path(out_dir) / "index.html"
    atomic_write_text(out, html)
    return out
