"""``irbench sweep`` without training: validation, grid files, the plan, ``--status``, and the Slurm array a
fake ``sbatch`` receives."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from helpers import run_cli
from irbench.errors import ConfigError
from irbench.sweep.cells import Cell, parse_seeds, split_scoped
from irbench.sweep.executors import parse_minutes
from irbench.sweep.job import CellOutcome
from irbench.sweep.progress import ProgressView


@pytest.fixture(scope="module")
def homes(stand_in):
    return {"irmas": stand_in("irmas"), "medley-solos": stand_in("medley-solos")}


def _flat(text: str) -> str:
    """A table's text as one line of words (cells wrap at the test console's 80 columns)."""
    return " ".join(text.replace("│", " ").split())


def _grid(homes, results, *extra):
    return ("sweep", "--task", "irmas,medley-solos", "--baseline", "constant,vgg", "--seed", "0,1",
            "--data-home", f"irmas={homes['irmas']}", "--data-home", f"medley-solos={homes['medley-solos']}",
            "--results-dir", str(results), "--max-epochs", "1", *extra)


def test_axes_parse_strictly():
    assert parse_seeds(["0-2", "5", "1"]) == [0, 1, 2, 5]
    assert parse_seeds([3, "4,5"]) == [3, 4, 5]
    assert split_scoped("cnn14:checkpoint=/w/Cnn14:v1.pth", "--config") == ("cnn14", "checkpoint=/w/Cnn14:v1.pth")
    assert split_scoped("learning_rate=1e-3", "--config") == (None, "learning_rate=1e-3")
    assert [parse_minutes(v) for v in (90, "90", "2:00:00", "1-00:00:00", "30:30", "1-2")] == [90, 90, 120, 1440,
                                                                                                31, 1560]
    assert Cell("irmas", "vgg", 2).label == "irmas/vgg/seed-2"


@pytest.mark.parametrize("changes, message", [
    ({"--task": "irmass"}, "Did you mean 'irmas'"),
    ({"--baseline": "vgj"}, "Did you mean 'vgg'"),
    ({"--seed": "x"}, "'x' is not a seed"),
    ({"--seed": "3-1"}, "runs backwards"),
    ({"--seed": "4294967296"}, "outside 0.."),
    ({"+--config": "learning_rat=0.1"}, "baseline constant: unknown config key 'learning_rat'"),
    ({"+--config": "cnn14:learning_rate=0.1"}, "'cnn14' is not a baseline of this sweep"),
    ({"+--config": "vgg:learning_rate=inf"}, "baseline vgg: invalid configuration"),
    ({"+--data-home": "openmic=/nowhere"}, "task(s) 'openmic' that the sweep does not run"),
    ({"+--executor": "slurmm"}, "Did you mean 'slurm'"),
    ({"+--dry-run": None, "+--status": None}, "do not go together"),
])
def test_bad_input_is_refused_before_anything_runs(monkeypatch, capsys, homes, tmp_path, changes, message):
    args = list(_grid(homes, tmp_path / "results"))
    for option, value in changes.items():
        if option.startswith("+"):
            args += [option[1:]] + ([value] if value is not None else [])
        else:
            args[args.index(option) + 1] = value
    code, out, err = run_cli(monkeypatch, capsys, *args)
    assert code == 2, (out, err)
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "results").exists()


def test_data_homes_are_checked_per_task(monkeypatch, capsys, homes, tmp_path):
    common = ("sweep", "-t", "irmas,medley-solos", "-b", "constant", "--results-dir", str(tmp_path / "r"))
    code, _, err = run_cli(monkeypatch, capsys, *common, "-d", str(homes["irmas"]))
    assert code == 2 and "name each one's folder as TASK=DIR" in err
    code, _, err = run_cli(monkeypatch, capsys, *common, "-d", f"irmas={homes['irmas']}")
    assert code == 2 and "no data folder for task(s) medley-solos" in err and "--data-home medley-solos=DIR" in err
    code, _, err = run_cli(monkeypatch, capsys, *common, "-d", f"irmas={homes['irmas']}", "-d",
                           f"medley-solos={tmp_path / 'absent'}")
    assert code == 2 and "is not a folder" in err and "irbench data synth medley-solos" in err
    code, out, err = run_cli(monkeypatch, capsys, "sweep", "-t", "irmas", "-b", "constant", "-d",
                             str(homes["irmas"]), "--results-dir", str(tmp_path / "r"), "--dry-run")
    assert code == 0 and "1 cell: 1 to run" in out


def test_a_grid_file_plans_the_same_grid(monkeypatch, capsys, homes, tmp_path):
    (tmp_path / "data").symlink_to(homes["irmas"])
    grid = tmp_path / "sweep.toml"
    grid.write_text(f"""
tasks = ["irmas", "medley-solos"]
baselines = ["constant", "vgg"]
seeds = "0-1"
max_epochs = 1
results_dir = "results"

[data_home]
irmas = "data"
medley-solos = "{homes['medley-solos']}"

[config]
batch_size = 32
[config.vgg]
learning_rate = 0.01
""")
    code, out, err = run_cli(monkeypatch, capsys, "sweep", "--grid", str(grid), "--dry-run")
    assert code == 0, err
    assert "8 cells: 8 to run" in out and (tmp_path / "results").is_dir() is False
    code, out, err = run_cli(monkeypatch, capsys, "sweep", "--grid", str(grid), "--seed", "7", "--dry-run")
    assert code == 0 and "4 cells: 4 to run" in out and re.search(r"\b7\b", out)
    grid.write_text('tasks = ["irmas"]\nbaseline = ["vgg"]\n')
    code, _, err = run_cli(monkeypatch, capsys, "sweep", "--grid", str(grid), "--dry-run")
    assert code == 2 and str(grid) in err and "baseline: Extra inputs are not permitted" in err
    grid.write_text(f'tasks = "irmas"\nbaselines = ["vgg"]\nseeds = [0]\ndata_home = "{homes["irmas"]}"\n'
                    '[config.vgg]\nlearning_rate = "fast"\n')
    code, _, err = run_cli(monkeypatch, capsys, "sweep", "--grid", str(grid), "--dry-run")
    assert code == 2 and "baseline vgg: invalid configuration" in err and "Traceback" not in err


def test_the_plan_and_status_read_the_results_folder(monkeypatch, capsys, homes, tmp_path):
    from irbench.sweep import claims
    from irbench.sweep.failures import write_failure

    results = tmp_path / "results"
    one = ("sweep", "-t", "medley-solos", "-b", "constant", "-s", "0-3", "-d", str(homes["medley-solos"]),
           "--results-dir", str(results), "--cache-dir", str(tmp_path / "cache"), "-q")
    code, _, err = run_cli(monkeypatch, capsys, *one[:6], "0", *one[7:])
    assert code == 0, err
    # seed 1 failed before with these settings, seed 2 is held by a live process, seed 3 was left by a dead one
    from irbench.sweep.identity import planned_config

    planned = planned_config("medley-solos", "constant", [], None, None, "auto")
    digest, folder = planned.digest(), planned.configuration.folder

    def cell(seed):
        return Cell("medley-solos", "constant", seed, (), folder)

    write_failure(results, cell(1), RuntimeError("CUDA out of memory"), digest, log="/logs/1.err", job_id="77_1")
    held = claims.claim(results, cell(2))
    claims.write_marker(results, cell(2), "running", "local", "4242")
    marker = claims.marker_path(results, cell(3))
    claims.write_marker(results, cell(3), "running", "local", "4243")
    marker.write_text(marker.read_text().replace(f'"pid": {os.getpid()}', '"pid": 999999999'))
    try:
        code, out, _ = run_cli(monkeypatch, capsys, *one, "--status")
        assert code == 1
        rows = {int(m.group(1)): m.group(2) for m in re.finditer(r"constant │\s+(\d) │ (\w+)", out)}
        assert rows == {0: "done", 1: "failed", 2: "running", 3: "interrupted"}
        assert "CUDA out of memory" in _flat(out) and "4 cells: 1 done, 1 running, 1 failed, 1 interrupted" in out
        code, out, _ = run_cli(monkeypatch, capsys, *one, "--dry-run")
        actions = {int(m.group(1)): m.group(2) for m in re.finditer(r"constant │\s+(\d) │ ([\w ]+?)\s+│", out)}
        assert actions == {0: "skip", 1: "failed before", 2: "busy", 3: "resume"}
        code, out, _ = run_cli(monkeypatch, capsys, *one, "--dry-run", "--retry-failed")
        assert "1 to retry" in out
        # another configuration lives beside the first: its cells all run, nothing of the first holds them back
        code, out, _ = run_cli(monkeypatch, capsys, *one, "--dry-run", "--config", "batch_size=8")
        actions = {int(m.group(1)): m.group(2) for m in re.finditer(r"constant │\s+(\d) │ ([\w ]+?)\s+│", out)}
        assert actions == {0: "run", 1: "run", 2: "run", 3: "run"}
        # a record in the configuration's folder made under another protocol version is in conflict
        recorded = cell(0).record(results)
        recorded.write_text(recorded.read_text().replace('"task_version": "1.1"', '"task_version": "0.9"'))
        code, out, _ = run_cli(monkeypatch, capsys, *one, "--dry-run")
        actions = {int(m.group(1)): m.group(2) for m in re.finditer(r"constant │\s+(\d) │ ([\w ]+?)\s+│", out)}
        assert actions[0] == "conflict" and "task_version: 0.9 -> 1.1" in _flat(out)
        code, out, _ = run_cli(monkeypatch, capsys, *one, "--dry-run", "--overwrite")
        assert "rerun" in out
    finally:
        held.release()


def test_slurm_submits_one_array_with_the_requested_resources(monkeypatch, capsys, homes, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "sbatch.log"
    (bin_dir / "sbatch").write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{log}"\n'
        'for last; do true; done\n'
        f'cp "$last" "{log}.script"\n'
        'echo "Submitted batch job 1234"\n')
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")
    for tool in ("scontrol", "sinfo", "squeue", "sacct"):  # a real Slurm here must not answer for the fake one
        (bin_dir / tool).write_text("#!/bin/sh\necho 'Unable to contact slurm controller'\nexit 1\n")
    for tool in ("sbatch", "srun", "scontrol", "sinfo", "squeue", "sacct"):
        (bin_dir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    results = tmp_path / "results"
    code, out, err = run_cli(monkeypatch, capsys, *_grid(homes, results, "--executor", "slurm", "--partition",
                                                           "gpu", "--time", "2:00:00", "--gpus", "2",
                                                           "--array-parallelism", "3", "--signal-delay", "120",
                                                           "--slurm", "account=acoustics", "--no-wait"))
    assert code == 0, err
    assert len(log.read_text().splitlines()) == 1  # one sbatch call: one array
    script = Path(f"{log}.script").read_text()
    for line in ("#SBATCH --partition=gpu", "#SBATCH --time=120", "#SBATCH --gpus-per-node=2",
                 "#SBATCH --array=0-7%3", "#SBATCH --signal=USR2@120", "#SBATCH --account=acoustics",
                 "#SBATCH --nodes=1", "#SBATCH --ntasks-per-node=1"):
        assert line in script.splitlines(), script
    assert f"{results / '.submitit'}" in script and "submitit.core._submit" in script
    assert "Slurm array 1234" in err and "--status" in err
    code, out, _ = run_cli(monkeypatch, capsys, *_grid(homes, results, "--status"))
    assert code == 1 and "8 cells: 8 queued" in out and "slurm job 1234_7" in _flat(out)
    code, out, _ = run_cli(monkeypatch, capsys, *_grid(homes, results, "--dry-run"))
    assert "8 running or queued elsewhere" in out


def test_slurm_needs_sbatch(monkeypatch, capsys, homes, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _, err = run_cli(monkeypatch, capsys, *_grid(homes, tmp_path / "r", "--executor", "slurm"))
    assert code == 2 and "needs Slurm's sbatch and srun on PATH" in err


def test_the_progress_view_estimates_from_finished_cells():
    lines, now = [], [0.0]
    cells = [Cell("irmas", "vgg", seed) for seed in range(4)]
    view = ProgressView(cells, parallel=2, show=lines.append, clock=lambda: now[0])
    view.started(cells[:2])
    now[0] = 60.0
    view.finished(CellOutcome(cells[0], "done", 60.0, "micro_f1 = 0.5"))
    assert lines[-1] == ("[sweep] 1/4 done, 1 running, 0 failed, 2 waiting; about 1.5 min left "
                         "(60 s per cell over 1, 2 at once)")
    view.started(cells[2:3])
    view.finished(CellOutcome(cells[1], "failed", 120.0, "TrainingDivergedError: ...", log="/x.err"))
    assert lines[-2].startswith("FAILED irmas/vgg/seed-1 in 2.0 min") and lines[-2].endswith("(log: /x.err)")
    assert "1 failed" in lines[-1] and "about 1.5 min left" in lines[-1]


def test_the_local_queue_runs_at_most_jobs_at_once_each_on_its_own_gpu(monkeypatch, tmp_path):
    """submitit's LocalExecutor would start every job at once: the sweep's queue holds them back and pins each
    to a free GPU (a stand-in for submitit records what it is asked)."""
    from types import SimpleNamespace

    import submitit
    from irbench.run.runner import RunOptions
    from irbench.sweep.executors import ExecutorSettings
    from irbench.sweep.job import JobSpec
    from irbench.sweep.local import LocalSweepExecutor

    live, seen = [], []

    class Job:
        def __init__(self, spec, gpus):
            self.spec, self.gpus, self.polls, self.job_id = spec, gpus, 0, str(100 + len(seen))
            self.paths = SimpleNamespace(stderr=tmp_path / f"{self.job_id}.err")

        def done(self):
            self.polls += 1
            if self.polls > 2 and self in live:
                live.remove(self)
            return self not in live

        def result(self):
            return [CellOutcome(cell, "done", 1.0, "ok") for cell in self.spec.cells]

    class Executor:
        def __init__(self, folder, max_num_timeout):
            self.parameters = {}

        def update_parameters(self, **parameters):
            self.parameters.update(parameters)

        def submit(self, function, spec):
            assert len(live) < 2 and self.parameters["timeout_min"] == 7 * 24 * 60
            job = Job(spec, self.parameters["visible_gpus"])
            assert job.gpus not in [other.gpus for other in live]  # a GPU runs one job at a time
            live.append(job)
            seen.append(job)
            return job

    monkeypatch.setattr(submitit, "LocalExecutor", Executor)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    executor = LocalSweepExecutor(ExecutorSettings(name="local", poll_s=0), tmp_path, "auto")
    assert executor.parallelism() == 2 and "GPUs 2, 3" in executor.describe()
    jobs = [JobSpec(RunOptions(task="irmas", baseline="vgg", data_home=tmp_path, results_dir=tmp_path, seed=seed),
                    [seed], "local", "digest") for seed in range(5)]
    lines = []
    progress = ProgressView([cell for job in jobs for cell in job.cells], 2, lines.append)
    executor.run(jobs, progress)
    assert len(seen) == 5 and {job.gpus for job in seen} == {(2,), (3,)}
    assert progress.count("done") == 5 and lines[-1].startswith("[sweep] 5/5 done")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-5d2c")
    with pytest.raises(ConfigError, match="names GPUs other than by index"):
        LocalSweepExecutor(ExecutorSettings(name="local"), tmp_path, "auto").parallelism()
    assert LocalSweepExecutor(ExecutorSettings(name="local"), tmp_path, "cpu").parallelism() == 1


def test_a_job_checkpoints_by_resubmitting_its_cells():
    import cloudpickle
    from irbench.run.runner import RunOptions
    from irbench.sweep.job import JobSpec, SweepJob

    spec = JobSpec(RunOptions(task="irmas", baseline="vgg", data_home=Path("/data")), [0, 1], "slurm", "abc")
    job = SweepJob()
    delayed = job.checkpoint(spec)
    assert delayed.function is job and delayed.args[0].seeds == [0, 1] and delayed.args[0].requeues == 1
    copy = cloudpickle.loads(cloudpickle.dumps(delayed.args[0]))
    assert copy.cells == spec.cells and copy.options.data_home == Path("/data")
