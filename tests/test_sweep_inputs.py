"""Hostile or awkward sweep input: huge seed lists and grids, deep or odd grid files, results folders that are
files or read-only, a job marker whose pid was reused, and baseline names with colons."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import run_cli
from irbench.errors import ConfigError
from irbench.sweep.cells import Cell, parse_seeds, split_scoped


@pytest.fixture(scope="module")
def homes(stand_in):
    return {"irmas": stand_in("irmas")}


def _one(homes, results, *extra):
    return ("sweep", "-t", "irmas", "-b", "constant", "-s", "0", "-d", str(homes["irmas"]), "--results-dir",
            str(results), *extra)


def test_baseline_names_with_colons_scope_at_the_last_colon_before_the_first_equals():
    assert split_scoped("probe:hear:my_module:learning_rate=1e-3", "--config") == \
        ("probe:hear:my_module", "learning_rate=1e-3")
    assert split_scoped("zero-shot:cnn14-audioset:batch_size=8", "--config") == \
        ("zero-shot:cnn14-audioset", "batch_size=8")
    assert split_scoped("cnn14:checkpoint=/w/Cnn14:v1.pth", "--config") == ("cnn14", "checkpoint=/w/Cnn14:v1.pth")
    assert split_scoped("learning_rate=1e-3", "--config") == (None, "learning_rate=1e-3")
    assert split_scoped("checkpoint=/w/a:b", "--config") == (None, "checkpoint=/w/a:b")
    # --frontend BASELINE:NAME has no '=': split at the last ':', or at a known baseline whatever follows
    assert split_scoped("probe:hear:my_module:logmel", "--frontend") == ("probe:hear:my_module", "logmel")
    assert split_scoped("logmel", "--frontend") == (None, "logmel")
    assert split_scoped("vgg:hear:x", "--frontend", ["vgg", "probe:hear:my_module"]) == ("vgg", "hear:x")
    assert split_scoped("probe:hear:my_module:lr=1", "--config", ["probe", "probe:hear:my_module"]) == \
        ("probe:hear:my_module", "lr=1")
    with pytest.raises(ConfigError, match="empty baseline"):
        split_scoped(":learning_rate=1", "--config")


def test_a_colon_scoped_config_reaches_its_baseline(monkeypatch, capsys, homes, tmp_path):
    """Through the whole command line: a scope that is not a baseline of the sweep is named whole."""
    code, _, err = run_cli(monkeypatch, capsys, *_one(homes, tmp_path / "r", "--config",
                                                     "probe:hear:my_module:learning_rate=1e-3", "--dry-run"))
    assert code == 2 and "'probe:hear:my_module' is not a baseline of this sweep" in err
    code, out, err = run_cli(monkeypatch, capsys, *_one(homes, tmp_path / "r", "--config",
                                                       "constant:seed_offset=1", "--dry-run"))
    assert "'constant' is not a baseline" not in err  # scoped to constant (it may refuse the key itself)


def test_seed_lists_and_grids_are_capped_before_they_are_expanded(monkeypatch, capsys, homes, tmp_path):
    started = time.perf_counter()
    ranges = ",".join(f"{i * 10_000}-{i * 10_000 + 9_999}" for i in range(50))  # 50 x 10,000 = 500k cells
    with pytest.raises(ConfigError, match="500000 seeds listed"):
        parse_seeds([ranges])
    with pytest.raises(ConfigError, match="more than 20000 seeds listed"):
        parse_seeds([",".join(map(str, range(30_000)))])
    assert time.perf_counter() - started < 2
    grid = tmp_path / "grid.toml"
    grid.write_text(f'tasks = ["irmas"]\nbaselines = ["constant"]\nseeds = "{ranges}"\n')
    code, _, err = run_cli(monkeypatch, capsys, "sweep", "--grid", str(grid), "--dry-run")
    assert code == 2 and "500000 seeds listed" in err and "Traceback" not in err
    code, _, err = run_cli(monkeypatch, capsys, "sweep", "-t", "irmas,medley-solos", "-b", "constant,vgg", "-s",
                           "0-9999", "--vary", "learning_rate=1e-3,1e-4", "--dry-run")
    assert code == 2 and "the grid has 80000 cells" in err and "2 x 2 x 2 x 10000" in err
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize("content, problem", [
    ("x = " + "[" * 10_000 + "]" * 10_000, "nested too deeply"),
    ('tasks = ["irmas"]\n[slurm]\nextra = ' + "[" * 12 + "1" + "]" * 12, "nested 8+ levels deep"),
    ('tasks = ["irmas"]\njobs = 0\n', "jobs: Input should be greater than or equal to 1"),
    ('tasks = ["irmas"]\nworkers = 0\n', "workers: Input should be greater than or equal to 1"),
    ('tasks = ["irmas"]\nmax_requeues = -1\n', "max_requeues: Input should be greater than or equal to 0"),
    (b"tasks = ['\xff']", "not UTF-8"),
])
def test_a_bad_grid_file_is_one_line(monkeypatch, capsys, tmp_path, content, problem):
    grid = tmp_path / "grid.toml"
    grid.write_bytes(content if isinstance(content, bytes) else content.encode())
    code, _, err = run_cli(monkeypatch, capsys, "sweep", "--grid", str(grid), "--dry-run")
    assert code == 2, err
    assert problem in err and "Traceback" not in err and str(grid) in err


def test_a_fifo_or_a_folder_as_grid_is_refused_without_reading(tmp_path):
    fifo = tmp_path / "grid.toml"
    os.mkfifo(fifo)
    for path, kind in ((fifo, "a FIFO"), (tmp_path, "a folder")):
        done = subprocess.run([sys.executable, "-m", "irbench", "sweep", "--grid", str(path), "--dry-run"],
                              capture_output=True, text=True, timeout=120)  # a blocking open would hang here
        assert done.returncode == 2, done.stderr
        assert f"--grid {path}: {kind}" in done.stderr and "Traceback" not in done.stderr


def test_a_results_dir_that_is_a_file_is_one_line(monkeypatch, capsys, homes, tmp_path):
    (tmp_path / "results").write_text("not a folder")
    for results, says in ((tmp_path / "results", "is a file, not a folder"),
                          (tmp_path / "results" / "inner", "which is a file")):
        for extra in ((), ("--status",), ("--dry-run",)):
            code, _, err = run_cli(monkeypatch, capsys, *_one(homes, results, *extra))
            assert code == 2 and says in err and "Traceback" not in err, (extra, err)
    grid = tmp_path / "grid.toml"
    grid.write_text(f'tasks = ["irmas"]\nbaselines = ["constant"]\ndata_home = "{homes["irmas"]}"\n'
                    'results_dir = "results"\n')
    code, _, err = run_cli(monkeypatch, capsys, "sweep", "--grid", str(grid))
    assert code == 2 and "results_dir" in err and "is a file, not a folder" in err


def _immutable(path: Path, on: bool) -> bool:
    done = subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True)
    return done.returncode == 0


def test_a_read_only_results_folder_can_be_inspected_but_not_run_in(monkeypatch, capsys, homes, tmp_path):
    """Read-only even for root: the folder is made immutable (``chattr +i``); its lock files stay readable."""
    from irbench.sweep import claims
    from irbench.sweep.identity import planned_config

    results = tmp_path / "results"
    folder = planned_config("irmas", "constant", [], None, None, "auto").configuration.folder
    cell = Cell("irmas", "constant", 0, (), folder)
    claims.lock_path(results, cell).parent.mkdir(parents=True)
    claims.lock_path(results, cell).write_text("")
    claims.lock_path(results, cell).chmod(0o444)
    if not _immutable(results, True):
        pytest.skip("chattr +i is not available here (needs root on ext2/3/4 or a similar file system)")
    try:
        code, out, err = run_cli(monkeypatch, capsys, *_one(homes, results, "--status"))
        assert code == 1 and "Traceback" not in err and "1 cell: 1 missing" in out
        code, out, err = run_cli(monkeypatch, capsys, *_one(homes, results, "--dry-run"))
        assert code == 0 and "1 to run" in out
        code, _, err = run_cli(monkeypatch, capsys, *_one(homes, results))
        assert code == 2 and "Traceback" not in err
        assert f"--results-dir {results}: records cannot be written there" in err
    finally:
        _immutable(results, False)


def test_a_record_outranks_a_marker_whose_pid_was_reused(monkeypatch, tmp_path):
    from irbench.sweep import claims, state
    from irbench.sweep.state import CellState, State

    results = tmp_path / "results"
    cell = Cell("irmas", "constant", 0, (), "cfg")
    claims.write_marker(results, cell, "running", "local", "77")
    marker = claims.read_marker(results, cell)
    assert marker.pid == os.getpid() and marker.pid_start == claims.process_start(os.getpid())
    assert claims.activity(results, cell).state == "running"  # this very process: alive, same start time
    path = claims.marker_path(results, cell)
    path.write_text(path.read_text().replace(f'"pid_start": {marker.pid_start}', '"pid_start": 1'))
    reused = claims.activity(results, cell)
    assert reused.state == "stale" and "ended without a record" in reused.detail  # same pid, another process

    claims.write_marker(results, cell, "running", "local", "77")  # a live pid again, and now the record exists
    cell.record(results).write_text("{}")
    monkeypatch.setattr(state, "existing_record", lambda *args: None)
    monkeypatch.setattr(state, "_recorded", lambda c, p, planned: CellState(c, State.DONE, "micro_f1 = 0.5"))
    assert state.cell_state(cell, results, planned=SimpleNamespace(configuration=None)).state is State.DONE
    held = claims.claim(results, cell)  # a lock that is really held still wins: the cell is being rerun
    try:
        assert state.cell_state(cell, results, planned=SimpleNamespace(configuration=None)).state is State.RUNNING
    finally:
        held.release()
