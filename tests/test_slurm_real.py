"""``irbench sweep --executor slurm`` on a real Slurm cluster: the one ``scripts/slurm-up FOLDER`` starts on this
machine (``export SLURM_CONF=FOLDER/slurm.conf``), or any cluster whose ``sinfo`` answers. Skipped, with the
reason, where none does."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from helpers import failure_file, record_file, run_cli


def _reachable() -> str | None:
    """Why the cluster cannot be used, or ``None`` when ``sinfo`` lists an idle or mixed node."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "no Slurm commands on PATH (start one with scripts/slurm-up FOLDER)"
    try:
        done = subprocess.run(["sinfo", "--noheader", "--format=%t"], capture_output=True, text=True, timeout=10)
    except subprocess.TimeoutExpired:
        return "sinfo gave no answer in 10 s"
    if done.returncode != 0:
        return f"sinfo failed: {done.stderr.strip()[:200]} (set SLURM_CONF, or run scripts/slurm-up FOLDER)"
    if not any(state.strip() in ("idle", "mix", "mixed") for state in done.stdout.splitlines()):
        return f"no idle node in sinfo: {done.stdout.strip()[:200]!r}"
    return None


pytestmark = pytest.mark.skipif(_reachable() is not None, reason=str(_reachable()))


def _cell(homes, results, *extra):
    return ("sweep", "-t", "irmas", "-b", "constant", "-s", "0", "-d", str(homes), "--results-dir", str(results),
            "--cache-dir", str(results.parent / "cache"), "--executor", "slurm", "--device", "cpu", "--time",
            "10", "--cpus", "1", "--mem-gb", "2", "-q", *extra)


def test_a_one_cell_sweep_runs_on_real_slurm_and_a_rerun_submits_nothing(monkeypatch, capsys, stand_in, tmp_path):
    monkeypatch.setenv("IRBENCH_SLURM_POLL_S", "1")
    results = tmp_path / "results"
    code, _, err = run_cli(monkeypatch, capsys, *_cell(stand_in("irmas"), results))
    assert code == 0, err
    assert "submitted 1 job as Slurm job" in err and "every cell has its record" in err
    record = json.loads(record_file(results, "irmas", "constant").read_text())
    assert record["provenance"]["executor"]["name"] == "slurm"
    assert not list(results.rglob(".seed-*.job.json"))
    code, out, err = run_cli(monkeypatch, capsys, *_cell(stand_in("irmas"), results))
    assert code == 0 and "1 done (skipped)" in err and "submitted" not in err


def test_real_slurm_refusals_and_limits_are_one_line(monkeypatch, capsys, stand_in, tmp_path):
    results = tmp_path / "results"
    limits = subprocess.run(["scontrol", "show", "partition", "--oneliner"], capture_output=True, text=True)
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


def test_a_cancelled_cell_fails_with_slurms_state(monkeypatch, capsys, stand_in, tmp_path):
    """A job that waits to begin in an hour, cancelled meanwhile: the waiting sweep ends, and the failure record names it."""
    monkeypatch.setenv("IRBENCH_SLURM_POLL_S", "1")
    results = tmp_path / "results"
    canceller = subprocess.Popen(
        ["sh", "-c", "for i in $(seq 60); do j=$(squeue -h -n irbench-sweep -o %i | head -1); "
                     "[ -n \"$j\" ] && scancel \"$j\" && exit 0; sleep 0.5; done; exit 1"])
    try:
        code, _, err = run_cli(monkeypatch, capsys, *_cell(stand_in("irmas"), results, "--slurm",
                                                           "begin=now+1hour"))
    finally:
        assert canceller.wait(timeout=60) == 0
    assert code == 1, err
    failure = json.loads(failure_file(results, "irmas", "constant").read_text())
    assert failure["state"] and failure["state"].startswith(("CANCELLED", "GONE")), failure
    assert "Traceback" not in err
