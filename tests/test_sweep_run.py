"""``irbench sweep`` end to end on the micro stand-ins: the 2 x 2 x 2 grid (irmas, medley-solos x constant, vgg x
seeds 0, 1, one epoch) inline and with the local executor gives the records of separate ``irbench run`` calls;
a finished sweep runs nothing again; the report covers it; a failed cell leaves a failure record and
``--retry-failed`` reruns only it; a cell interrupted mid-training (submitit's preemption signal) resumes and
ends with the metrics of an uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import failure_file, record_file, run_cli
from irbench.store.records import read_record
from irbench.sweep.cells import Cell

pytestmark = pytest.mark.slow

TASKS, BASELINES, SEEDS = ("irmas", "medley-solos"), ("constant", "vgg"), (0, 1)


def _cell(task: str, baseline: str, seed: int, max_epochs: int = 1) -> Cell:
    """The sweep's cell with its planned configuration folder (the grids here run ``--max-epochs``)."""
    from irbench.sweep.identity import planned_config

    folder = planned_config(task, baseline, [], max_epochs, None, "auto").configuration.folder
    return Cell(task, baseline, seed, (), folder)


CELLS = [_cell(t, b, s) for t in TASKS for b in BASELINES for s in SEEDS]
# everything a record says about the result; provenance (where, when, how long) differs by design
SAME = ("task", "task_version", "baseline", "config", "seed", "stand_in", "metrics", "per_class", "threshold",
        "n_test", "n_train", "n_validation", "windows", "extra", "confidence_intervals", "skipped_files",
        "predictions_file", "checkpoint_file")


def _irbench(*args: str) -> int:
    """Run the command line in this process (for module-scoped fixtures, which cannot use capsys)."""
    from irbench.cli import main

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["irbench", *args])
        try:
            main()
        except SystemExit as done:
            return int(done.code or 0)
    return 0


def _result(record, drop=()) -> dict:
    dumped = record.model_dump(mode="json")
    content = {key: dumped[key] for key in SAME}
    content["training"] = {k: v for k, v in dumped["training"].items() if k not in drop}
    return json.loads(json.dumps(content, default=str))


def _assert_same_records(reference: Path, results: Path, cells=CELLS, drop=()) -> None:
    for cell in cells:
        expected, got = read_record(cell.record(reference)), read_record(cell.record(results))
        assert _result(got, drop) == _result(expected, drop), cell.label
        predictions = f"seed-{cell.seed}.predictions.csv"
        assert (cell.record(results).with_name(predictions).read_text()
                == cell.record(reference).with_name(predictions).read_text()), cell.label


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("sweep-cache")


@pytest.fixture(scope="module")
def homes(micro_stand_in):
    """The micro stand-ins: the sweep's records are compared with separate runs', whatever their size."""
    return {task: micro_stand_in(task) for task in TASKS}


def _sweep_args(homes, results, cache, *extra):
    return ("sweep", "--task", ",".join(TASKS), "--baseline", ",".join(BASELINES), "--seed", "0,1",
            "--data-home", f"irmas={homes['irmas']}", "--data-home", f"medley-solos={homes['medley-solos']}",
            "--results-dir", str(results), "--cache-dir", str(cache), "--max-epochs", "1", "--quiet", *extra)


@pytest.fixture(scope="module")
def separate_runs(homes, cache, tmp_path_factory) -> Path:
    """The grid as eight separate ``irbench run`` calls, one per cell."""
    results = tmp_path_factory.mktemp("separate")
    for cell in CELLS:
        code = _irbench("run", "--task", cell.task, "--baseline", cell.baseline, "--seed", str(cell.seed),
                        "--data-home", str(homes[cell.task]), "--results-dir", str(results), "--cache-dir",
                        str(cache), "--max-epochs", "1", "--quiet")
        assert code == 0, cell.label
    return results


@pytest.fixture(scope="module")
def inline_sweep(homes, cache, separate_runs, tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("inline")
    assert _irbench(*_sweep_args(homes, results, cache)) == 0
    return results


def test_an_inline_sweep_gives_the_records_of_separate_runs(inline_sweep, separate_runs):
    _assert_same_records(separate_runs, inline_sweep)
    record = read_record(_cell("irmas", "vgg", 1).record(inline_sweep))
    assert record.provenance.executor["name"] == "inline" and "host" in record.provenance.executor
    assert "features.hash" in record.provenance.shared_stages  # the seeds of irmas x vgg shared the preparation
    assert "sweep" in (record.provenance.command or "")


def test_a_finished_sweep_runs_nothing_and_reports_in_full(monkeypatch, capsys, homes, cache, inline_sweep,
                                                          tmp_path):
    import irbench.run.runner

    def refuse(*args, **kwargs):
        raise AssertionError("a finished sweep must not run anything")

    monkeypatch.setattr(irbench.run.runner, "run_seeds", refuse)
    before = {cell: cell.record(inline_sweep).stat().st_mtime_ns for cell in CELLS}
    code, out, err = run_cli(monkeypatch, capsys, *_sweep_args(homes, inline_sweep, cache))
    assert code == 0, err
    assert "8 cells: 8 done (skipped)" in err and "every cell has its record" in err
    assert {cell: cell.record(inline_sweep).stat().st_mtime_ns for cell in CELLS} == before
    code, out, err = run_cli(monkeypatch, capsys, *_sweep_args(homes, inline_sweep, cache, "--status"))
    assert code == 0 and "8 cells: 8 done" in out
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(inline_sweep), "--out",
                           str(tmp_path / "report"))
    assert code == 0, err
    for task in TASKS:
        page = (tmp_path / "report" / f"{task}.html").read_text()
        assert "vgg" in page and "constant" in page


def test_a_local_sweep_with_two_jobs_gives_the_same_records(monkeypatch, capsys, homes, cache, separate_runs,
                                                           tmp_path):
    results = tmp_path / "local"
    code, _, err = run_cli(monkeypatch, capsys, *_sweep_args(homes, results, cache, "--executor", "local",
                                                               "--jobs", "2"))
    assert code == 0, err
    assert "8 cells in 8 jobs on local, 2 jobs at once" in err
    _assert_same_records(separate_runs, results)
    executor = read_record(_cell("medley-solos", "vgg", 0).record(results)).provenance.executor
    assert executor["name"] == "local" and executor["job_id"].isdigit()
    logs = results / ".submitit" / executor["job_id"]
    assert (logs / f"{executor['job_id']}_0_log.err").exists()
    assert not list(results.glob("*/*/.seed-*.job.json"))  # every cell's marker cleared


def test_a_failed_cell_leaves_a_failure_record_and_retry_reruns_only_it(monkeypatch, capsys, homes, cache,
                                                                       tmp_path):
    import irbench.run.runner

    results = tmp_path / "results"
    grid = ("sweep", "-t", "irmas", "-b", "constant,vgg", "-s", "0", "-d", str(homes["irmas"]), "--results-dir",
            str(results), "--cache-dir", str(cache), "--max-epochs", "1", "-q", "--config",
            "vgg:learning_rate=1e12")
    code, _, err = run_cli(monkeypatch, capsys, *grid)
    assert code == 1 and "FAILED irmas/vgg/seed-0" in err and "1 cell(s) failed" in err
    failure = json.loads(failure_file(results, "irmas", "vgg").read_text())
    # on the micro stand-in the one step's loss is finite and the weights it leaves score NaN: named as well
    assert failure["error"] == "TrainingDivergedError" and "diverged" in failure["message"]
    assert failure["attempts"] == 1 and failure["executor"]["name"] == "inline" and failure["traceback"] is None
    assert record_file(results, "irmas", "constant").exists()  # the sweep went on
    constant_written = record_file(results, "irmas", "constant").stat().st_mtime_ns

    ran = []
    original = irbench.run.runner.run_seeds
    monkeypatch.setattr(irbench.run.runner, "run_seeds",
                        lambda options, seeds: ran.append((options.baseline, list(seeds)))
                        or original(options, seeds))
    code, _, err = run_cli(monkeypatch, capsys, *grid)  # a plain rerun leaves the failed cell alone
    assert code == 1 and ran == [] and "1 failed before" in err
    code, _, err = run_cli(monkeypatch, capsys, *grid, "--retry-failed")
    assert code == 1 and ran == [("vgg", [0])]  # only the failed cell ran (and failed again)
    assert json.loads(failure_file(results, "irmas", "vgg").read_text())["attempts"] == 2
    assert record_file(results, "irmas", "constant").stat().st_mtime_ns == constant_written


def test_a_broken_data_folder_fails_its_cells_and_a_retry_after_the_fix_succeeds(monkeypatch, capsys, homes,
                                                                                cache, tmp_path):
    data = tmp_path / "irmas"
    for source in homes["irmas"].rglob("*"):  # a copy made of links: the stand-in itself is shared
        if source.is_file():
            target = data / source.relative_to(homes["irmas"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)
    label = min(data.glob("IRMAS-TestingData-Part1/Part1/*.txt"))
    source = label.resolve()
    label.unlink()
    results = tmp_path / "results"
    grid = ("sweep", "-t", "irmas,medley-solos", "-b", "constant", "-s", "0", "-d", f"irmas={data}", "-d",
            f"medley-solos={homes['medley-solos']}", "--results-dir", str(results), "--cache-dir", str(cache),
            "-q", "--executor", "local", "--jobs", "2")
    code, _, err = run_cli(monkeypatch, capsys, *grid)
    assert code == 1 and "FAILED irmas/constant/seed-0" in err
    failure = json.loads(failure_file(results, "irmas", "constant").read_text())
    assert failure["error"] == "DatasetLayoutError" and label.name in failure["message"]
    assert failure["job_id"] and Path(failure["log"]).is_file()
    assert Path(failure["log"]).parent.parent == results / ".submitit"
    assert record_file(results, "medley-solos", "constant").exists()
    label.symlink_to(source)
    code, _, err = run_cli(monkeypatch, capsys, *grid)
    assert code == 1 and "1 failed before" in err and "1 done (skipped)" in err
    code, _, err = run_cli(monkeypatch, capsys, *grid, "--retry-failed")
    assert code == 0, err
    assert "1 to retry, 1 done (skipped)" in err
    assert record_file(results, "irmas", "constant").exists()
    assert not _cell("irmas", "constant", 0).record(results).with_name("seed-0.failure.json").exists()


def test_an_interrupted_cell_resumes_to_the_same_metrics(monkeypatch, capsys, stand_in, cache, tmp_path):
    """Submitit's preemption path, for real: the job process gets SIGUSR2 in its second epoch; submitit calls
    ``SweepJob.checkpoint``, its local controller restarts the job, and the cell resumes from epoch 1's
    checkpoint. SIGSTOP first, so the signal surely lands in the second of two epochs, not after training
    (on the tiny stand-in: an epoch of the micro one could end between the checkpoint and the signal)."""
    cell = _cell("irmas", "vgg", 0, max_epochs=2)
    grid = ("-t", "irmas", "-b", "vgg", "-s", "0", "-d", str(stand_in("irmas")), "--cache-dir", str(cache),
            "--max-epochs", "2", "-q")
    reference = tmp_path / "uninterrupted"
    code, _, err = run_cli(monkeypatch, capsys, "sweep", *grid, "--results-dir", str(reference))
    assert code == 0, err

    results = tmp_path / "interrupted"
    sweep = subprocess.Popen([sys.executable, "-m", "irbench", "sweep", *grid, "--results-dir", str(results),
                              "--executor", "local"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    folder = cell.record(results).parent
    deadline = time.monotonic() + 300
    while not list(folder.glob(".seed-0.work-*/latest.ckpt")):  # epoch 1 is done (checkpoints are atomic)
        assert sweep.poll() is None and time.monotonic() < deadline, sweep.communicate()[0]
        time.sleep(0.01)
    job = json.loads((folder / ".seed-0.job.json").read_text())
    assert job["state"] == "running" and job["executor"] == "local"
    os.kill(job["pid"], signal.SIGSTOP)
    os.kill(job["pid"], signal.SIGUSR2)
    os.kill(job["pid"], signal.SIGCONT)
    output, _ = sweep.communicate(timeout=300)
    assert sweep.returncode == 0, output
    record = read_record(cell.record(results))
    assert record.training.resumed is True and record.training.epochs == 2
    _assert_same_records(reference, results, [cell], drop=("resumed",))
    log = Path(results / ".submitit" / job["job_id"] / f"{job['job_id']}_0_log.err").read_text()
    assert "this job is preempted" in log
