"""``irbench sweep --executor slurm`` against fake Slurm commands written here (``sbatch``, ``squeue``, ``sacct``,
``scontrol``, ``scancel``, ``srun``): a refused submission, the partition's limits, the scheduler's states and
reasons in failure records and ``--status``, a cell that can never start, life without ``sacct``, requeues."""

from __future__ import annotations

import json
import logging
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import run_cli
from irbench.sweep.cells import Cell


@pytest.fixture(scope="module")
def homes(stand_in):
    return {"irmas": stand_in("irmas"), "medley-solos": stand_in("medley-solos")}


def _grid(homes, results, *extra):
    return ("sweep", "--task", "irmas,medley-solos", "--baseline", "constant,vgg", "--seed", "0,1",
            "--data-home", f"irmas={homes['irmas']}", "--data-home", f"medley-solos={homes['medley-solos']}",
            "--results-dir", str(results), "--max-epochs", "1", "--executor", "slurm", *extra)


class FakeSlurm:
    """Fake Slurm commands in ``bin``; each tool's output is a file in ``state`` the test writes (``squeue``:
    ``squeue.N`` for the N-th call if present, else ``squeue``); every call is logged to ``state/calls``."""

    def __init__(self, root: Path, monkeypatch, tools=("sbatch", "srun", "squeue", "sacct", "scontrol", "scancel")):
        self.bin, self.state = root / "bin", root / "state"
        self.bin.mkdir()
        self.state.mkdir()
        for tool in tools:
            self.tool(tool)
        self.write("sbatch", "Submitted batch job 1234")
        (self.bin / "cat").symlink_to(shutil.which("cat"))  # the only other command the fakes use
        monkeypatch.setenv("PATH", str(self.bin))  # no real Slurm command is found, even where one is installed

    def tool(self, name: str, body: str | None = None) -> None:
        body = body or (f'n=$(cat "{self.state}/{name}.n" 2>/dev/null || echo 0); echo $((n+1)) > "{self.state}/{name}.n"\n'
                        f'f="{self.state}/{name}.$n"; [ -f "$f" ] || f="{self.state}/{name}"\n'
                        f'[ -f "$f" ] && cat "$f"\n'
                        f'[ -f "$f.err" ] && cat "$f.err" >&2\n'
                        f'exit $(cat "$f.exit" 2>/dev/null || echo 0)\n')
        path = self.bin / name
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> "{self.state}/calls"\n{body}')
        path.chmod(0o755)

    def write(self, name: str, text: str, exit_code: int = 0, err: str = "") -> None:
        (self.state / name).write_text(text + "\n" if text else "")
        (self.state / f"{name}.exit").write_text(str(exit_code))
        (self.state / f"{name}.err").write_text(err)

    def calls(self, tool: str) -> list[str]:
        path = self.state / "calls"
        return [line for line in path.read_text().splitlines() if line.startswith(tool)] if path.exists() else []


PARTITION = ("PartitionName=debug AllowGroups=ALL Default=YES MaxNodes=UNLIMITED MaxTime=01:00:00 MinNodes=0 "
             "MaxCPUsPerNode=UNLIMITED Nodes=localhost State=UP TotalCPUs=2 TotalNodes=1 DefMemPerNode=UNLIMITED "
             "MaxMemPerNode=UNLIMITED TRES=cpu=2,mem=3900M,node=1,billing=2")


def test_a_refused_submission_is_one_line_and_leaves_nothing_behind(monkeypatch, capsys, homes, tmp_path):
    slurm = FakeSlurm(tmp_path, monkeypatch, tools=("sbatch", "srun"))  # no scontrol: limits unchecked
    slurm.write("sbatch", "", exit_code=1, err="sbatch: error: Batch job submission failed: Invalid partition name "
                                               "specified")
    results = tmp_path / "results"
    code, out, err = run_cli(monkeypatch, capsys, *_grid(homes, results, "--partition", "nosuch"))
    assert code == 2, err
    assert "Traceback" not in err and "Invalid partition name specified" in err
    refusal = [line for line in err.splitlines() if "sbatch refused" in line]
    assert len(refusal) == 1 and "Invalid partition name specified" in refusal[0]
    assert err.count("Invalid partition name specified") == 1  # submitit's own print of sbatch's error is kept
    assert err.count("scontrol is not on PATH") == 1
    assert len(slurm.calls("sbatch")) == 1
    leftovers = [p for p in (results / ".submitit").rglob("*")] if (results / ".submitit").exists() else []
    assert leftovers == []  # no orphan pickles or submission scripts
    assert not list(results.rglob(".seed-*.job.json"))


def test_requests_over_the_partition_limits_are_refused_before_submitting(monkeypatch, capsys, homes, tmp_path):
    slurm = FakeSlurm(tmp_path, monkeypatch)
    slurm.write("scontrol", PARTITION)
    results = tmp_path / "results"
    code, _, err = run_cli(monkeypatch, capsys, *_grid(homes, results))  # --time 4:00:00, 1 GPU by default
    assert code == 2 and "Traceback" not in err
    assert "partition debug: MaxTime=01:00:00 < --time 4:00:00" in err and "--time 60 or less" in err
    assert "TRES=cpu=2,mem=3900M,node=1,billing=2 < --gpus 1" in err and "--gpus 0 --device cpu" in err
    code, _, err = run_cli(monkeypatch, capsys, *_grid(homes, results, "--time", "30", "--device", "cpu",
                                                       "--cpus", "4", "--mem-gb", "8"))
    assert code == 2 and "TRES cpu=2 < --cpus 4" in err and "TRES mem=3900M < --mem-gb 8 (8192 MB)" in err
    assert slurm.calls("sbatch") == []
    slurm.write("scontrol", "", exit_code=1, err="Partition nosuch not found")
    code, _, err = run_cli(monkeypatch, capsys, *_grid(homes, results, "--partition", "nosuch"))
    assert code == 2 and "--partition nosuch: Slurm has no such partition (Partition nosuch not found)" in err
    slurm.write("scontrol", PARTITION)
    code, _, err = run_cli(monkeypatch, capsys, *_grid(homes, results, "--time", "30", "--device", "cpu",
                                                       "--no-wait"))
    assert code == 0, err
    assert len(slurm.calls("sbatch")) == 1 and "submitted 8 jobs as Slurm array 1234" in err


def test_one_job_is_said_in_the_singular(monkeypatch, capsys, homes, tmp_path):
    FakeSlurm(tmp_path, monkeypatch, tools=("sbatch", "srun"))
    code, _, err = run_cli(monkeypatch, capsys, "sweep", "-t", "irmas", "-b", "constant", "-s", "0", "-d",
                           str(homes["irmas"]), "--results-dir", str(tmp_path / "r"), "--executor", "slurm",
                           "--no-wait")
    assert code == 0, err
    assert "submitted 1 job as Slurm job 1234;" in err and "1 cell in 1 job on slurm" in err


def test_status_shows_slurm_states_and_reasons_and_squeue_stands_in_for_sacct(monkeypatch, capsys, homes,
                                                                              tmp_path):
    slurm = FakeSlurm(tmp_path, monkeypatch, tools=("sbatch", "srun", "squeue"))
    results = tmp_path / "results"
    code, _, err = run_cli(monkeypatch, capsys, *_grid(homes, results, "--no-wait"))
    assert code == 0, err
    slurm.write("squeue", "1234_0|PENDING|PartitionTimeLimit\n1234_1|RUNNING|None\n1234_2|PENDING|Resources")
    code, out, err = run_cli(monkeypatch, capsys, *_grid(homes, results, "--status"))
    assert code == 1
    flat = " ".join(out.replace("│", " ").split())
    assert "PENDING (PartitionTimeLimit); can never start" in flat and "PENDING (Resources)" in flat
    assert "Slurm state RUNNING" in flat
    assert "left the queue without a record" in flat  # gone from squeue, no sacct: not "running" forever
    assert "8 cells: 3 queued, 5 interrupted" in out  # the marker says queued until the job starts the cell
    assert err.count("sacct is not on PATH") == 1 and "job states come from squeue" in err
    slurm.tool("sacct")
    slurm.write("sacct", "1234_3|CANCELLED by 0|0:15|None\n1234_4|OUT_OF_MEMORY|0:125|None\n"
                         "1234_[5-7]|TIMEOUT|0:0|TimeLimit")
    code, out, err = run_cli(monkeypatch, capsys, *_grid(homes, results, "--status"))
    flat = " ".join(out.replace("│", " ").split())
    assert "ended (CANCELLED by 0 (exit 0:15)) without a record" in flat and "OUT_OF_MEMORY" in flat
    assert "ended (TIMEOUT (TimeLimit)) without a record" in flat and "sacct" not in err


def _cell(seed: int) -> Cell:
    return Cell("irmas", "constant", seed, (), "cfg")


class FakeJob:
    """A submitted job as the watcher sees it: an id, submitit's paths, ``cancel``, and a result that appears
    after ``ready_after`` looks (never when ``None``)."""

    def __init__(self, job_id: str, folder: Path, ready_after: int | None = None, log: str = ""):
        self.job_id, self.cancelled, self.looks, self.ready_after = job_id, False, 0, ready_after
        folder.mkdir(parents=True, exist_ok=True)
        stderr = folder / f"{job_id}.err"
        stderr.write_text(log)
        outer = self

        class Result:
            def exists(self) -> bool:
                outer.looks += 1
                return outer.ready_after is not None and outer.looks > outer.ready_after

        self.paths = SimpleNamespace(result_pickle=Result(), stderr=stderr)

    def cancel(self, check: bool = True) -> None:
        self.cancelled = True

    def result(self):
        return [self.outcome]


def test_the_watcher_fails_ended_and_impossible_jobs_with_the_schedulers_words(monkeypatch, tmp_path):
    from irbench.run.runner import RunOptions
    from irbench.sweep.failures import failure_path, read_failure
    from irbench.sweep.job import CellOutcome, JobSpec
    from irbench.sweep.progress import ProgressView
    from irbench.sweep.watch import watch

    slurm = FakeSlurm(tmp_path, monkeypatch)
    results = tmp_path / "results"
    specs = [JobSpec(RunOptions(task="irmas", baseline="constant", data_home=tmp_path, results_dir=results),
                     [seed], "slurm", "digest", configuration="cfg") for seed in range(5)]
    logs = results / ".submitit"
    jobs = [FakeJob("1234_0", logs, ready_after=4), FakeJob("1234_1", logs, log="step\nslurmstepd: error: *** JOB "
                                                                                  "1235 CANCELLED AT 10:00 ***\n"),
            FakeJob("1234_2", logs), FakeJob("1234_3", logs, log="Killed\n"), FakeJob("1234_4", logs, ready_after=6)]
    jobs[0].outcome = CellOutcome(_cell(0), "done", 3.0, "micro_f1 = 0.5")
    jobs[4].outcome = CellOutcome(_cell(4), "done", 3.0, "micro_f1 = 0.5")
    slurm.write("squeue.0", "1234_2|PENDING|PartitionTimeLimit\n1234_4|RUNNING|None\n1234_0|RUNNING|None")
    slurm.write("squeue", "1234_4|PENDING|BeginTime\n1234_0|RUNNING|None")
    slurm.write("sacct", "1234_1|CANCELLED by 0|0:15|None\n1234_3|OUT_OF_MEMORY|0:125|None")
    slurm.write("scontrol", "AuthInfo                = cred_expire=30")
    lines = []
    progress = ProgressView([cell for spec in specs for cell in spec.cells], 5, lines.append)
    watch(list(zip(jobs, specs)), progress, poll_s=0, grace_s=0)
    assert {cell.seed: o.status for cell, o in progress.outcomes.items()} == {0: "done", 1: "failed", 2: "failed",
                                                                              3: "failed", 4: "done"}
    cancelled = read_failure(failure_path(results, _cell(1)))
    assert cancelled.error == "CANCELLED" and cancelled.state == "CANCELLED by 0 (exit 0:15)"
    assert cancelled.log_tail[-1] == "slurmstepd: error: *** JOB 1235 CANCELLED AT 10:00 ***"
    assert "CANCELLED by 0" in cancelled.message and "CANCELLED AT 10:00" in cancelled.message
    assert cancelled.log == str(jobs[1].paths.stderr)
    never = read_failure(failure_path(results, _cell(2)))
    assert jobs[2].cancelled and never.reason == "PartitionTimeLimit" and "can never start" in never.message
    oom = read_failure(failure_path(results, _cell(3)))
    assert oom.error == "OUT_OF_MEMORY" and oom.log_tail == ["Killed"]
    assert any("can never start (PartitionTimeLimit): cancelled" in line for line in lines)
    requeued = [line for line in lines if "requeued" in line]
    assert len(requeued) == 1 and "irmas/constant/seed-4" in requeued[0] and "cred_expire, 30 s" in requeued[0]


def test_without_sacct_a_job_gone_from_the_queue_fails_and_it_is_said_once(monkeypatch, tmp_path):
    from irbench.run.runner import RunOptions
    from irbench.sweep.failures import failure_path, read_failure
    from irbench.sweep.job import JobSpec
    from irbench.sweep.progress import ProgressView
    from irbench.sweep.watch import watch

    slurm = FakeSlurm(tmp_path, monkeypatch)
    slurm.write("sacct", "", exit_code=1, err="sacct: error: Problem talking to the database: Connection refused")
    slurm.write("squeue.0", "1234_0|RUNNING|None")
    slurm.write("squeue.1", "1234_0|RUNNING|None")
    slurm.write("squeue", "", exit_code=1, err="slurm_load_jobs error: Invalid job id specified")
    results = tmp_path / "results"
    spec = JobSpec(RunOptions(task="irmas", baseline="constant", data_home=tmp_path, results_dir=results), [0],
                   "slurm", "digest", configuration="cfg")
    lines = []
    progress = ProgressView(spec.cells, 1, lines.append)
    started = time.monotonic()
    watch([(FakeJob("1234_0", results / ".submitit"), spec)], progress, poll_s=0, grace_s=0)
    assert time.monotonic() - started < 30  # no hang
    failure = read_failure(failure_path(results, _cell(0)))
    assert failure.error == "GONE" and "left the queue" in failure.message
    notes = [line for line in lines if "sacct failed" in line]
    assert len(notes) == 1 and "Connection refused" in notes[0] and "come from squeue" in notes[0]


def test_a_job_neither_queued_nor_in_sacct_has_ended(monkeypatch, tmp_path):
    """An array task cancelled before it started leaves the queue and gets no line in ``sacct`` (Slurm 22.05):
    it is GONE, so that a waiting sweep fails its cell and a rerun after a killed driver runs it again."""
    from irbench.run.runner import RunOptions
    from irbench.sweep.failures import failure_path, read_failure
    from irbench.sweep.job import JobSpec
    from irbench.sweep.progress import ProgressView
    from irbench.sweep.scheduler import job_states
    from irbench.sweep.watch import watch

    slurm = FakeSlurm(tmp_path, monkeypatch)
    slurm.write("squeue", "1234_0|RUNNING|None")
    slurm.write("sacct", "1234_0|RUNNING|0:0|None")
    states, notes = job_states({"1234_0", "1234_1"})
    assert states["1234_0"].running and states["1234_1"].state == "GONE" and notes == []
    slurm.write("squeue", "", exit_code=1, err="squeue: error: Unable to contact slurm controller")
    states, _ = job_states({"1234_1"})
    assert "1234_1" not in states  # squeue cannot answer: nothing is known, nothing is failed
    slurm.write("squeue", "", exit_code=1, err="slurm_load_jobs error: Invalid job id specified")
    slurm.write("sacct", "")
    results = tmp_path / "results"
    spec = JobSpec(RunOptions(task="irmas", baseline="constant", data_home=tmp_path, results_dir=results), [1],
                   "slurm", "digest", configuration="cfg")
    progress = ProgressView(spec.cells, 1, [].append)
    watch([(FakeJob("1234_1", results / ".submitit"), spec)], progress, poll_s=0, grace_s=0)
    failure = read_failure(failure_path(results, _cell(1)))
    assert failure.error == "GONE" and "left the queue" in failure.message


def test_a_one_task_array_cancelled_while_pending_takes_sacct_s_line_for_its_main_id(monkeypatch, tmp_path):
    """Slurm 22.05's ``sacct`` lists a one-task array cancelled while it waits under its main id only
    (``1234``, not ``1234_0``): the task takes that line, so its cell says CANCELLED, not GONE."""
    from irbench.sweep.scheduler import job_states

    slurm = FakeSlurm(tmp_path, monkeypatch)
    slurm.write("squeue", "", exit_code=1, err="slurm_load_jobs error: Invalid job id specified")
    slurm.write("sacct", "1234|CANCELLED by 0|0:0|None")
    states, notes = job_states({"1234_0"})
    assert states["1234_0"].state == "CANCELLED" and states["1234_0"].source == "sacct" and notes == []
    slurm.write("sacct", "1234_1|COMPLETED|0:0|None\n1234|CANCELLED by 0|0:0|None")
    states, _ = job_states({"1234_1"})
    assert states["1234_1"].state == "COMPLETED"  # a task's own line wins over its main id's


def test_a_job_gone_from_the_queue_is_never_running_even_where_accounting_lags(monkeypatch, tmp_path):
    """``squeue`` no longer lists the task but ``sacct`` still says RUNNING (slurmdbd behind): it is GONE, so
    a waiting sweep cannot wait for it forever; once ``sacct`` has its end, that state is taken."""
    from irbench.sweep.scheduler import job_states

    slurm = FakeSlurm(tmp_path, monkeypatch)
    slurm.write("squeue", "", exit_code=1, err="slurm_load_jobs error: Invalid job id specified")
    slurm.write("sacct", "1234_0|RUNNING|0:0|None")
    states, _ = job_states({"1234_0"})
    assert states["1234_0"].state == "GONE" and not states["1234_0"].running
    assert "sacct still says RUNNING" in states["1234_0"].reason
    slurm.write("sacct", "1234_0|TIMEOUT|0:0|TimeLimit")
    states, _ = job_states({"1234_0"})
    assert states["1234_0"].state == "TIMEOUT"


def test_a_requeue_adds_the_earlier_attempts_seconds():
    from irbench.run.runner import RunOptions
    from irbench.sweep import job as job_module
    from irbench.sweep.job import JobContext, JobSpec, SweepJob

    spec = JobSpec(RunOptions(task="irmas", baseline="vgg", data_home=Path("/data")), [0, 1], "slurm", "abc")
    job_module._CURRENT.update(seed=0, start=time.perf_counter() - 50)
    try:
        requeued = SweepJob().checkpoint(spec).args[0]
    finally:
        job_module._CURRENT.clear()
    assert requeued.requeues == 1 and 50 <= requeued.spent[0] < 60 and 1 not in requeued.spent
    outcome = job_module._ended(requeued, JobContext("slurm", "1_0", None, "h", 1), requeued.cell(0),
                                SimpleNamespace(record=None, kept="kept"), 10.0)
    assert 60 <= outcome.seconds < 70


def test_submitit_warnings_are_printed_once():
    """submitit's configuration sends a warning to its stdout and its stderr handler, and repeats sacct's on
    every poll: afterwards both handlers together show it once."""
    import io

    import submitit  # noqa: F401 - configures its logger
    from irbench.sweep.submitit_logs import quiet_repeats

    logger = logging.getLogger("submitit")
    streams = {handler.get_name(): io.StringIO() for handler in logger.handlers}
    assert {"submitit_out", "submitit_err"} <= set(streams)
    previous = {handler: handler.setStream(streams[handler.get_name()]) for handler in logger.handlers}
    try:
        quiet_repeats()
        quiet_repeats()
        for call in (1, 2, 3):
            logger.warning(f"Call #{call} - Bypassing sacct error boom, status may be inaccurate.")
        logger.info("an info line still reaches stdout")
    finally:
        for handler, stream in previous.items():
            handler.setStream(stream)
    shown = "".join(stream.getvalue() for stream in streams.values())
    assert shown.count("Bypassing sacct error boom") == 1  # was 2 per call: stdout and stderr, on every poll
    assert "Bypassing sacct error boom" in streams["submitit_err"].getvalue()
    assert "an info line still reaches stdout" in streams["submitit_out"].getvalue()


def test_submission_files_of_a_refusal_are_removed(tmp_path, monkeypatch):
    """The refusal path through submitit itself: ``map_array`` with an ``sbatch`` that fails raises
    ``FailedJobError`` (not ``FailedSubmissionError``); the sweep's message has sbatch's words."""
    from irbench.errors import ConfigError
    from irbench.run.runner import RunOptions
    from irbench.sweep.executors import ExecutorSettings
    from irbench.sweep.job import JobSpec
    from irbench.sweep.slurm import SlurmSweepExecutor

    slurm = FakeSlurm(tmp_path, monkeypatch, tools=("sbatch", "srun"))
    slurm.write("sbatch", "", exit_code=1, err="sbatch: error: QOSMaxSubmitJobPerUserLimit")
    results = tmp_path / "results"
    (results / ".submitit").mkdir(parents=True)
    (results / ".submitit" / "older").write_text("kept")
    executor = SlurmSweepExecutor(ExecutorSettings(name="slurm"), results, "cpu")
    jobs = [JobSpec(RunOptions(task="irmas", baseline="vgg", data_home=tmp_path, results_dir=results, seed=s), [s],
                    "slurm", "d") for s in range(3)]
    with pytest.raises(ConfigError, match="QOSMaxSubmitJobPerUserLimit") as raised:
        executor._submit(jobs)
    assert "\n" not in str(raised.value)
    assert sorted(p.name for p in (results / ".submitit").iterdir()) == ["older"]
    assert json.dumps(str(raised.value)).count("sbatch refused") == 1
