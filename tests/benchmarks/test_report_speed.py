"""CPU seconds of ``irbench report`` over 1,000 run records, stage by stage (pytest-benchmark).

The records are a sweep's worth (``tests/test_report_grid.py``: four tasks, 50 rows of baseline and
configuration each, 5 seeds, per-clip predictions files beside every record), written once per session in
a temporary folder. The report is run as ``build_report`` runs it, one stage at a time, timed in process
CPU seconds (``time.process_time``: user + system of every thread, so load from other users of the
machine does not count): reading and checking records, grouping them into tables, the paired bootstrap of
every row against the best (with the predictions files it reads), and each format's writing (HTML with its
plots apart). Then ``build_report`` whole, for HTML, the slowest format, and the figure the target is
about: a fresh ``irbench report`` process, imports included (its CPU seconds as the operating system counts
them for a finished child, ``resource.getrusage(RUSAGE_CHILDREN)``).

Run with ``pytest tests/benchmarks/test_report_speed.py --benchmark-enable -s``; skipped otherwise.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

import pytest

RECORDS = 1000
TARGET_CPU_S = 10.0
"""The whole HTML report over :data:`RECORDS` records should take less (issue 20, item 5b)."""


@pytest.fixture(autouse=True)
def _measuring_only(benchmark):
    """Writing 1,000 records takes about 20 CPU-s: measured with ``--benchmark-enable`` only."""
    if benchmark.disabled:
        pytest.skip("the report over 1,000 records is measured with --benchmark-enable")


@pytest.fixture(scope="module")
def grid(tmp_path_factory) -> Path:
    """The results folder of :data:`RECORDS` records."""
    from test_report_grid import write_grid

    results = tmp_path_factory.mktemp("report-speed") / "results"
    write_grid(results, RECORDS)
    return results


class Clock:
    """CPU seconds per stage: ``with clock("name"):`` adds to it; ``wrap`` times every call of a function."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str):
        clock = self

        class _Stage:
            def __enter__(self):
                self.start = time.process_time()

            def __exit__(self, *exc):
                clock.seconds[name] = clock.seconds.get(name, 0.0) + time.process_time() - self.start

        return _Stage()

    def wrap(self, name: str, function):
        """``function``, timed under ``name`` on every call."""

        @functools.wraps(function)
        def timed(*args, **kwargs):
            with self(name):
                return function(*args, **kwargs)

        return timed


def _staged(results: Path, out: Path, fmt: str, clock: Clock, monkeypatch) -> None:
    """``build_report(results, out, fmt)`` step by step (the same public functions, in its order)."""
    from irbench.report import FORMATS, choose_columns, html, paired, plots
    from irbench.report.collect import leaderboards
    from irbench.report.loading import load_runs
    from irbench.store.records import find_records

    monkeypatch.setattr(paired, "read_clip_table", clock.wrap("  of which: predictions files", paired.read_clip_table))
    for name in ("per_class_f1", "precision_recall", "class_errors"):
        monkeypatch.setattr(plots, name, clock.wrap("  of which: plots", getattr(plots, name)))
    monkeypatch.setattr(html, "read_clip_table",
                        clock.wrap("  of which: predictions (PR curves)", html.read_clip_table))
    chosen = FORMATS.get(fmt)
    with clock("reading records"):
        runs = load_runs(find_records(results), pytest.fail)
    with clock("tables (rows, spreads, columns)"):
        boards = leaderboards(runs, None)
        choose_columns(boards, chosen.columns, None)
    with clock("paired bootstrap (every row vs best)"):
        for board in boards:
            paired.compare(board, pytest.fail)
    out.mkdir(parents=True, exist_ok=True)
    with clock(f"writing {fmt}"):
        chosen.write(boards, len(runs), out)
    monkeypatch.undo()


def _import_seconds() -> float:
    """CPU-s of importing what ``irbench report`` imports, in a fresh interpreter."""
    import subprocess
    import sys

    code = ("import time; t = time.process_time(); import irbench.cli, irbench.report.html, irbench.report.paired, "
            "irbench.baselines, irbench.tasks; print(time.process_time() - t)")
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def _fresh_process_seconds(results: Path, out: Path) -> float:
    """User + system CPU-s of ``python -m irbench report --results-dir results -o out`` in a child process."""
    import resource
    import subprocess
    import sys

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "irbench", "report", "--results-dir", str(results), "-o", str(out)],
                   capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def test_report_over_1000_records(benchmark, grid, tmp_path, monkeypatch):
    from irbench.report import build_report

    import irbench.report.html  # noqa: F401  (imports timed apart: they are paid once per process)
    import irbench.report.paired  # noqa: F401

    for fmt in ("html", "markdown", "latex", "csv"):
        clock = Clock()
        _staged(grid, tmp_path / f"staged-{fmt}", fmt, clock, monkeypatch)
        stages = {k: v for k, v in clock.seconds.items() if not k.startswith(" ")}
        print(f"\n{fmt}, {RECORDS} records: {sum(stages.values()):.2f} CPU-s (imports apart)")
        parts = {"paired bootstrap (every row vs best)": ["  of which: predictions files"],
                 f"writing {fmt}": ["  of which: plots", "  of which: predictions (PR curves)"]}
        for name, seconds in stages.items():
            print(f"  {name:<40} {seconds:7.2f}")
            for part in parts.get(name, []):
                if part in clock.seconds:
                    print(f"  {part:<40} {clock.seconds[part]:7.2f}")

    def whole() -> float:
        """CPU-s of the whole report in this process (its modules are imported by now; a fresh process is
        measured below)."""
        start = time.process_time()
        build_report(grid, tmp_path / "out", "html", warn=pytest.fail)
        return time.process_time() - start

    seconds = benchmark.pedantic(whole, rounds=1, iterations=1)
    print(f"build_report (html) over {RECORDS} records: {seconds:.2f} CPU-s (target {TARGET_CPU_S:.0f})")
    print(f"imports a fresh `irbench report` process pays on top: {_import_seconds():.2f} CPU-s")
    fresh = _fresh_process_seconds(grid, tmp_path / "fresh")
    print(f"a fresh `irbench report` process over {RECORDS} records: {fresh:.2f} CPU-s (target {TARGET_CPU_S:.0f})")
    assert (tmp_path / "out/index.html").exists() and (tmp_path / "fresh/index.html").exists()
