"""``irbench sweep --executor slurm`` on a real Slurm cluster: the one ``scripts/slurm-up FOLDER`` starts on this
machine (``export SLURM_CONF=FOLDER/slurm.conf``), or any cluster whose ``sinfo`` answers. Skipped, with the
reason, where none does.

Interrupted cells (scancel + ``--retry-failed``, a requeue by ``SIGUSR2``, the driver killed with ``kill -9``)
must end with the same metrics, per-class scores and thresholds as the same cell run inline, uninterrupted; both
records' figures are printed side by side (``pytest -s`` shows them). Whatever a test does to the cluster in the
background runs in a thread with a deadline, after which it cancels the test's jobs: no test waits for ever."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import failure_file, record_file, run_cli

DEADLINE_S = 90.0  # the longest any background action here waits for the cluster before cancelling the jobs
EPOCHS = 8  # VGG's epochs: the job is stopped after the first, and the rest must still be ahead of it
IRBENCH = str(Path(sys.executable).with_name("irbench"))


def _reachable() -> str | None:
    """Why the cluster cannot be used, or ``None`` when ``sinfo`` lists an idle or mixed node."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "no Slurm commands on PATH (start one with scripts/slurm-up FOLDER)"
    try:
        done = subprocess.run(["sinfo", "--noheader", "--format=%t"], capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "sinfo gave no answer in 20 s"
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0][:120]
        return f"sinfo failed ({first}); set SLURM_CONF, or run scripts/slurm-up FOLDER"
    if not any(state.strip() in ("idle", "mix", "mixed") for state in done.stdout.splitlines()):
        return f"no idle node in sinfo: {done.stdout.strip()[:200]!r}"
    return None


UNREACHABLE = _reachable()  # asked once: with no controller, sinfo retries for about 10 s before it says so
pytestmark = [pytest.mark.skipif(UNREACHABLE is not None, reason=str(UNREACHABLE)), pytest.mark.slow]


@pytest.fixture(autouse=True)
def _fast_polls(monkeypatch):
    monkeypatch.setenv("IRBENCH_SLURM_POLL_S", "1")
    monkeypatch.setenv("IRBENCH_SLURM_GRACE_S", "2")  # a local results folder: no slow file system to wait for


def _cell(homes, results, *extra, baseline="constant", seeds="0"):
    return ("sweep", "-t", "irmas", "-b", baseline, "-s", seeds, "-d", str(homes), "--results-dir", str(results),
            "--cache-dir", str(results.parent / "cache"), "--executor", "slurm", "--device", "cpu", "--time",
            "10", "--cpus", "1", "--mem-gb", "2", "-q", *extra)


def _vgg(homes, results, *extra):
    return _cell(homes, results, "--max-epochs", str(EPOCHS), *extra, baseline="vgg")


def _inline(homes, results, *extra, baseline="constant", seeds="0"):
    """The same cells run inline here, uninterrupted (``_cell``'s options up to the Slurm ones, then ``extra``)."""
    args = list(_cell(homes, results, baseline=baseline, seeds=seeds))
    args[args.index("--executor") + 1] = "inline"
    cut = args.index("--time")
    done = subprocess.run([IRBENCH, *args[:cut], "-q", *extra], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return results


def _slurm(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(command), capture_output=True, text=True, timeout=30)


def _markers(results: Path) -> dict[int, dict]:
    """Seed -> the cell's ``.seed-<n>.job.json`` (which job has it, queued or running)."""
    found = {}
    for path in results.rglob(".seed-*.job.json"):
        try:
            found[int(path.name.split("-")[1].split(".")[0])] = json.loads(path.read_text())
        except (OSError, ValueError):
            continue  # being written
    return found


def _job_ids(results: Path) -> list[str]:
    folder = results / ".submitit"
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name[0].isdigit()) if folder.is_dir() else []


def _until(what: str, condition, deadline: float):
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


class Meanwhile:
    """Run ``action(results, deadline)`` in a thread while the sweep runs in the test's own thread; past the
    deadline (or on failure) every job of the test is cancelled so that the sweep ends. ``join`` re-raises."""

    def __init__(self, results: Path, action):
        self.results, self.error, self.value = results, None, None
        self.deadline = time.monotonic() + DEADLINE_S
        self.thread = threading.Thread(target=self._run, args=(action,), daemon=True)
        self.timer = threading.Timer(DEADLINE_S, self.cancel_all)
        self.thread.start()
        self.timer.start()

    def _run(self, action):
        try:
            self.value = action(self.results, self.deadline)
        except BaseException as error:  # noqa: BLE001 - re-raised in join
            self.error = error
            self.cancel_all()

    def cancel_all(self):
        for job_id in _job_ids(self.results):
            _slurm("scancel", job_id.split("_")[0])

    def join(self):
        self.thread.join(timeout=DEADLINE_S)
        self.timer.cancel()
        if self.error is not None:
            raise self.error
        return self.value


def _after_an_epoch(results: Path, deadline: float) -> str:
    """The id of the job running seed 0, once its training saved a checkpoint (``latest.ckpt``: it resumes)."""
    marker = _until("seed 0 running", lambda: (m := _markers(results).get(0)) and m["state"] == "running" and m,
                    deadline)
    _until("a first epoch's checkpoint", lambda: list(results.rglob(".seed-0.work-*/**/latest.ckpt")), deadline)
    return marker["job_id"]


def _same(interrupted: dict, uninterrupted: dict, what: str) -> None:
    """Print both records' figures side by side; assert equal metrics, per-class scores and thresholds."""
    print(f"\n{what}: metric, interrupted, uninterrupted")
    for name in ("micro_f1", "macro_f1", "map", "lrap", "hamming_loss"):
        print(f"  {name:<14} {interrupted['metrics'][name]!r:<22} {uninterrupted['metrics'][name]!r}")
    print(f"  {'threshold':<14} {interrupted['threshold']['value']!r:<22} {uninterrupted['threshold']['value']!r}")
    print(f"  {'epochs':<14} {interrupted['training']['epochs']!r:<22} {uninterrupted['training']['epochs']!r}")
    print(f"  {'resumed':<14} {interrupted['training'].get('resumed')!r:<22} "
          f"{uninterrupted['training'].get('resumed')!r}")
    assert interrupted["metrics"] == uninterrupted["metrics"]
    assert interrupted["per_class"] == uninterrupted["per_class"]
    assert interrupted["threshold"] == uninterrupted["threshold"]


def _record(results, baseline="constant", seed=0) -> dict:
    return json.loads(record_file(results, "irmas", baseline, seed).read_text())


@pytest.fixture(scope="module")
def vgg_reference(stand_in, tmp_path_factory):
    """The VGG cell (``EPOCHS`` epochs) run inline, uninterrupted."""
    results = tmp_path_factory.mktemp("inline") / "results"
    return _record(_inline(stand_in("irmas"), results, "--max-epochs", str(EPOCHS), baseline="vgg"), "vgg")


def test_a_one_cell_sweep_runs_on_real_slurm_and_a_rerun_submits_nothing(monkeypatch, capsys, stand_in, tmp_path):
    results = tmp_path / "results"
    code, _, err = run_cli(monkeypatch, capsys, *_cell(stand_in("irmas"), results))
    assert code == 0, err
    assert "submitted 1 job as Slurm job" in err and "every cell has its record" in err
    record = _record(results)
    assert record["provenance"]["executor"]["name"] == "slurm"
    assert not list(results.rglob(".seed-*.job.json"))
    code, out, err = run_cli(monkeypatch, capsys, *_cell(stand_in("irmas"), results))
    assert code == 0 and "1 done (skipped)" in err and "submitted" not in err


def test_real_slurm_refusals_and_limits_are_one_line(monkeypatch, capsys, stand_in, tmp_path):
    results = tmp_path / "results"
    limits = _slurm("scontrol", "show", "partition", "--oneliner")
    if "MaxTime=UNLIMITED" not in limits.stdout:
        code, _, err = run_cli(monkeypatch, capsys, *_cell(stand_in("irmas"), results, "--time", "30-00:00:00"))
        assert code == 2 and "MaxTime=" in err and "< --time 30-00:00:00" in err and "Traceback" not in err
    code, _, err = run_cli(monkeypatch, capsys, *_cell(stand_in("irmas"), results, "--partition", "nosuch"))
    assert code == 2 and "Slurm has no such partition" in err
    code, _, err = run_cli(monkeypatch, capsys, *_cell(stand_in("irmas"), results, "--slurm",
                                                       "constraint=irbench-nosuch-feature"))
    assert code == 2 and "sbatch refused" in err and "Traceback" not in err
    leftovers = list((results / ".submitit").rglob("*")) if (results / ".submitit").exists() else []
    assert leftovers == []


def test_a_cell_cancelled_while_training_resumes_with_retry_failed(monkeypatch, capsys, stand_in, tmp_path,
                                                                    vgg_reference):
    """scancel of the running job: its cell fails naming CANCELLED; --retry-failed ends it as if never stopped."""
    results = tmp_path / "results"

    def cancel(results, deadline):
        job_id = _after_an_epoch(results, deadline)
        assert _slurm("scancel", job_id).returncode == 0
        return job_id

    meanwhile = Meanwhile(results, cancel)
    code, _, err = run_cli(monkeypatch, capsys, *_vgg(stand_in("irmas"), results))
    job_id = meanwhile.join()
    assert code == 1, err
    failure = json.loads(failure_file(results, "irmas", "vgg").read_text())
    words = ("CANCELLED",) if _accounting() is None else ("CANCELLED", "GONE")  # sacct's word, when it answers
    assert failure["job_id"] == job_id and failure["state"].startswith(words), failure
    assert "Traceback" not in err
    code, _, err = run_cli(monkeypatch, capsys, *_vgg(stand_in("irmas"), results, "--retry-failed"))
    assert code == 0, err
    record = _record(results, "vgg")
    _same(record, vgg_reference, "scancel + --retry-failed")
    assert record["training"]["resumed"] is True


def test_a_requeue_by_usr2_ends_as_an_uninterrupted_run(monkeypatch, capsys, stand_in, tmp_path, vgg_reference):
    """SIGUSR2 to the running job (what Slurm sends --signal-delay seconds before the time limit): the job
    checkpoints, requeues itself and resumes from its last epoch."""
    results = tmp_path / "results"

    def usr2(results, deadline):
        job_id = _after_an_epoch(results, deadline)
        assert _slurm("scancel", "--signal=USR2", job_id).returncode == 0
        return job_id

    meanwhile = Meanwhile(results, usr2)
    code, _, err = run_cli(monkeypatch, capsys, *_vgg(stand_in("irmas"), results))
    meanwhile.join()
    assert code == 0, err
    assert "requeued" in err, err
    record = _record(results, "vgg")
    _same(record, vgg_reference, "requeue by USR2")
    assert record["training"]["resumed"] is True


def test_a_driver_killed_mid_array_is_picked_up_by_a_rerun(monkeypatch, capsys, stand_in, tmp_path):
    """kill -9 of `irbench sweep` while its array is queued, one task then cancelled: the rerun submits that
    cell only, and both records equal an inline run's."""
    homes, results = stand_in("irmas"), tmp_path / "results"
    driver = subprocess.Popen([IRBENCH, *_cell(homes, results, seeds="0,1")], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "IRBENCH_SLURM_POLL_S": "1"})
    try:
        deadline = time.monotonic() + DEADLINE_S
        markers = _until("both cells queued", lambda: len(_markers(results)) == 2 and _markers(results), deadline)
        driver.send_signal(signal.SIGKILL)
        driver.wait(timeout=10)
        array = markers[1]["job_id"].split("_")[0]
        assert _slurm("scancel", markers[1]["job_id"]).returncode == 0
        _until("the array to leave the queue", lambda: not _slurm("squeue", "-h", "-j", array).stdout.strip(),
               deadline)
    finally:
        if driver.poll() is None:
            driver.kill()
        for job_id in _job_ids(results):
            _slurm("scancel", job_id.split("_")[0])
    assert driver.returncode == -signal.SIGKILL
    code, _, err = run_cli(monkeypatch, capsys, *_cell(homes, results, seeds="0,1"))
    assert code == 0, err
    assert "submitted 1 job as Slurm job" in err, err
    reference = _inline(homes, tmp_path / "inline", seeds="0,1")
    for seed in (0, 1):
        _same(_record(results, seed=seed), _record(reference, seed=seed), f"driver killed, seed {seed}")


def test_a_pending_reason_is_shown_and_a_held_cell_is_given_up(monkeypatch, capsys, stand_in, tmp_path):
    """--status shows why a job waits (BeginTime); held by an admin (JobHeldAdmin), the waiting sweep gives up
    on it naming the reason."""
    homes, results = stand_in("irmas"), tmp_path / "results"

    def status_then_hold(results, deadline):
        marker = _until("the job queued", lambda: _markers(results).get(0), deadline)
        _until("Slurm to list it", lambda: "BeginTime" in _slurm("squeue", "-h", "-o", "%r", "-j",
                                                                  marker["job_id"]).stdout, deadline)
        status = subprocess.run([IRBENCH, *_cell(homes, results), "--status"], capture_output=True, text=True,
                                timeout=60)
        assert _slurm("scontrol", "hold", marker["job_id"]).returncode == 0
        return status

    meanwhile = Meanwhile(results, status_then_hold)
    code, _, err = run_cli(monkeypatch, capsys, *_cell(homes, results, "--slurm", "begin=now+1hour"))
    status = meanwhile.join()
    print(status.stdout)
    assert status.returncode == 1 and "queued" in status.stdout and "BeginTime" in status.stdout, status.stdout
    assert code == 1, err
    assert "can never start (JobHeldAdmin)" in err, err
    failure = json.loads(failure_file(results, "irmas", "constant").read_text())
    assert failure["reason"].startswith("JobHeldAdmin") and "JobHeldAdmin" in failure["message"], failure
    assert not _slurm("squeue", "-h", "-j", failure["job_id"]).stdout.strip()  # cancelled by the sweep


def _accounting() -> str | None:
    """Why ``sacct`` cannot tell this cluster's job states (its last error line), or ``None`` when it answers."""
    if shutil.which("sacct") is None:
        return "sacct is not on PATH"
    try:
        done = _slurm("sacct", "--noheader", "--allocations")
    except subprocess.TimeoutExpired:
        return "sacct gave no answer in 30 s"
    if done.returncode == 0:
        return None
    return (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1][:200]


@pytest.fixture
def accounting_up():
    """Skip unless ``sacct`` answers (``SLURM_ACCOUNTING=1 scripts/slurm-up FOLDER`` starts slurmdbd)."""
    why = _accounting()
    if why is not None:
        pytest.skip(f"no accounting on this cluster ({why}); start it with SLURM_ACCOUNTING=1 scripts/slurm-up FOLDER")


SACCT_DOWN = """#!/bin/sh
# sacct as it answers with slurmdbd down (Slurm 22.05)
echo "sacct: error: slurm_persist_conn_open_without_init: failed to open persistent connection to host:localhost:6819: Connection refused" >&2
echo "sacct: error: Sending PersistInit msg: Connection refused" >&2
echo "sacct: error: Problem talking to the database: Connection refused" >&2
exit 1
"""


@pytest.fixture
def accounting_down(monkeypatch, tmp_path):
    """Accounting down for the test: this cluster's own slurmdbd (scripts/slurm-up's, found by its pid file
    beside ``$SLURM_CONF``) stopped and started again after; on a cluster whose slurmdbd is not this machine's
    to stop, a ``sacct`` ahead on PATH that fails as it does with slurmdbd down; a cluster without accounting
    is down already."""
    conf = Path(os.environ.get("SLURM_CONF", "/etc/slurm/slurm.conf"))
    pid_file = conf.with_name("run") / "slurmdbd.pid"
    pid = int(pid_file.read_text()) if pid_file.exists() else None
    if pid is not None:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:  # a stale pid file: slurmdbd is not running
            pid = None
    if pid is not None:
        _until("slurmdbd to stop", lambda: _accounting() is not None, time.monotonic() + 30)
    elif _accounting() is None:
        shadow = tmp_path / "sacct-down"
        shadow.mkdir()
        (shadow / "sacct").write_text(SACCT_DOWN)
        (shadow / "sacct").chmod(0o755)
        monkeypatch.setenv("PATH", f"{shadow}{os.pathsep}{os.environ['PATH']}")
    yield
    if pid is not None:
        subprocess.run(["slurmdbd"], check=True, timeout=30)
        _until("slurmdbd to answer", lambda: _accounting() is None, time.monotonic() + 30)


def _cancel_while_queued(results: Path, deadline: float) -> str:
    """scancel of seed 0's job while it waits (``begin=now+1hour``); its id."""
    marker = _until("the job queued", lambda: _markers(results).get(0), deadline)
    assert _slurm("scancel", marker["job_id"]).returncode == 0
    return marker["job_id"]


def test_a_cancelled_cell_carries_slurms_state_from_sacct(monkeypatch, capsys, stand_in, tmp_path, accounting_up):
    """With accounting up: the job cancelled while it waits fails its cell in one line naming sacct's state
    (``CANCELLED by 0``), the failure record carries it, and ``--status`` shows it; nothing about sacct is said."""
    homes, results = stand_in("irmas"), tmp_path / "results"
    meanwhile = Meanwhile(results, _cancel_while_queued)
    started = time.monotonic()
    code, _, err = run_cli(monkeypatch, capsys, *_cell(homes, results, "--slurm", "begin=now+1hour"))
    job_id = meanwhile.join()
    print(err)
    assert code == 1, err
    assert time.monotonic() - started < 60, "the sweep should end soon after its job was cancelled"
    failure = json.loads(failure_file(results, "irmas", "constant").read_text())
    assert failure["job_id"] == job_id and failure["state"].startswith("CANCELLED"), failure
    assert f"Slurm job {job_id} ended CANCELLED" in failure["message"], failure
    said = [line for line in err.splitlines() if "CANCELLED" in line]
    assert len(said) == 1 and job_id in said[0], err
    assert "sacct" not in err and "Traceback" not in err
    code, out, err = run_cli(monkeypatch, capsys, *_cell(homes, results), "--status")
    print(out)
    assert code == 1 and "failed" in out and "CANCELLED" in out, out
    assert "Traceback" not in err


def test_a_cancelled_cell_without_accounting_fails_in_one_clear_line(monkeypatch, capsys, stand_in, tmp_path,
                                                                     accounting_down):
    """No sacct: the job cancelled while it waits leaves the queue, the sweep ends (no hang), says once where the
    states came from, and the failure record says the job left the queue."""
    results = tmp_path / "results"
    meanwhile = Meanwhile(results, _cancel_while_queued)
    started = time.monotonic()
    code, _, err = run_cli(monkeypatch, capsys, *_cell(stand_in("irmas"), results, "--slurm", "begin=now+1hour"))
    job_id = meanwhile.join()
    print(err)
    assert code == 1, err
    assert time.monotonic() - started < 60, "the sweep should end soon after its job left the queue"
    notes = [line for line in err.splitlines() if line.startswith("note: sacct failed")]
    assert len(notes) == 1 and "job states come from squeue" in notes[0], err
    others = [line for line in err.splitlines() if "sacct" in line and not line.startswith(("note:", "FAILED "))]
    assert others == [], err  # no warning of submitit's about sacct, on every poll or at all
    failure = json.loads(failure_file(results, "irmas", "constant").read_text())
    assert failure["job_id"] == job_id, failure
    assert failure["state"].startswith("GONE") and "left the queue" in failure["message"], failure
    said = [line for line in err.splitlines() if job_id in line and "left the queue" in line]
    assert len(said) == 1, err
    assert "Traceback" not in err
