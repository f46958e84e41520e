"""SIGTERM (``scancel``, Kubernetes, most schedulers) is handled like Ctrl-C (issue 22, item 3): the command
stops, says where in one line, exits 143 and leaves no record; the same command resumes to the metrics of an
uninterrupted run. An inline sweep hit by SIGTERM exits non-zero too, and its rerun completes the cell.

Real subprocesses: the signal lands once the work folder's ``latest.ckpt`` shows epoch 1 is done (SIGSTOP
first, so the signal surely lands before the process moves on). Lightning renames that file into place in
epoch 1's end-of-epoch hooks, before its epoch counter moves on, so a signal that lands in the moment between
is reported as epoch 1, truthfully (``AT_EPOCH``; seen once, in a full test run of stop 29)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import record_file
from irbench.store.records import read_record

pytestmark = pytest.mark.slow


IRBENCH = [sys.executable, "-m", "irbench"]
EPOCHS = "2"
AT_EPOCH = rf"at epoch [12] of {EPOCHS}"
"""Where the signal is said to have landed: epoch 2, or the end of epoch 1 (see the module docstring)."""


def _command(kind: str, data: Path, results: Path, cache: Path) -> list[str]:
    return [*IRBENCH, kind, "-t", "irmas", "-b", "vgg", "-d", str(data), "--results-dir", str(results),
            "--cache-dir", str(cache), "--max-epochs", EPOCHS, "--workers", "1", "--quiet"]


def _terminate_in_second_epoch(command: list[str], results: Path) -> subprocess.CompletedProcess:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while not list(results.rglob(".seed-0.work-*/latest.ckpt")):  # epoch 1 is done (checkpoints are atomic)
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGSTOP)
    os.kill(process.pid, signal.SIGTERM)
    os.kill(process.pid, signal.SIGCONT)
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def _metrics(results: Path) -> dict:
    return read_record(record_file(results, "irmas", "vgg")).metrics


@pytest.fixture(scope="module")
def uninterrupted(tiny_irmas, feature_cache, tmp_path_factory) -> dict:
    results = tmp_path_factory.mktemp("uninterrupted")
    done = subprocess.run(_command("run", tiny_irmas, results, feature_cache), capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    return _metrics(results)


def test_sigterm_in_training_says_where_exits_143_and_the_rerun_resumes(tiny_irmas, feature_cache, uninterrupted,
                                                                        tmp_path):
    results = tmp_path / "r"
    command = _command("run", tiny_irmas, results, feature_cache)
    stopped = _terminate_in_second_epoch(command, results)
    assert stopped.returncode == 143, stopped.stderr
    last = stopped.stderr.strip().splitlines()[-1]
    assert re.fullmatch(rf"terminated \(SIGTERM\) {AT_EPOCH}; run the same command to resume", last), stopped.stderr
    assert "Traceback" not in stopped.stderr and "terminated" not in stopped.stderr.replace(last, "")
    assert not list(results.rglob("seed-0.json")) and list(results.rglob(".seed-0.work-*/latest.ckpt"))
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    record = read_record(record_file(results, "irmas", "vgg"))
    assert record.training.resumed is True and record.metrics == uninterrupted


def test_an_inline_sweep_hit_by_sigterm_exits_non_zero_and_its_cell_resumes(tiny_irmas, feature_cache,
                                                                            uninterrupted, tmp_path):
    results = tmp_path / "r"
    command = _command("sweep", tiny_irmas, results, feature_cache)
    stopped = _terminate_in_second_epoch(command, results)
    assert stopped.returncode == 143, stopped.stderr
    assert re.search(rf"\[sweep\] stopped in irmas/vgg/seed-0: terminated \(SIGTERM\) {AT_EPOCH}",
                     stopped.stderr), stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert not list(results.rglob("seed-0.json")) and not list(results.rglob("seed-0.failure.json"))
    resumed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    record = read_record(record_file(results, "irmas", "vgg"))
    assert record.training.resumed is True and record.metrics == uninterrupted


def test_sigterm_outside_training_is_terminated_too(monkeypatch):
    """The handler raises ``Terminated`` wherever the signal lands, and only while the command runs."""
    from irbench.cli.interrupt import as_interrupted, sigterm_interrupts
    from irbench.errors import Terminated

    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    with pytest.raises(Terminated) as caught, sigterm_interrupts():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert as_interrupted(caught.value).status == 143 and as_interrupted(KeyboardInterrupt()).status == 130


def test_a_sigterm_someone_else_owns_is_left_alone():
    """A process whose SIGTERM is ignored or handled (submitit's jobs) keeps it: the handler is not installed."""
    from irbench.cli.interrupt import sigterm_interrupts

    def theirs(signum, frame):
        pass

    previous = signal.signal(signal.SIGTERM, theirs)
    try:
        with sigterm_interrupts():
            assert signal.getsignal(signal.SIGTERM) is theirs
        assert signal.getsignal(signal.SIGTERM) is theirs
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_lightnings_own_sigterm_stop_becomes_training_terminated(tmp_path):
    """Without irbench's handler (a library call), Lightning's SIGTERM notifier stops training with its
    ``SIGTERMException``, a ``SystemExit(None)`` that would exit 0: ``fit`` raises ``TrainingTerminated``
    naming the epoch instead, caused by that exit (a submitit job re-raises the cause, irbench.sweep.job)."""
    import lightning as L
    import numpy as np
    from irbench.baselines.networks.vgg import VGGNet
    from irbench.errors import Terminated, TrainingInterrupted
    from irbench.run.training import fit
    from irbench.baselines.base import TrainingConfig
    from irbench.task import PredictionType
    from irbench.windowing.dataset import ArrayWindows
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    class Signal(L.Callback):
        def on_train_epoch_start(self, trainer, module):
            if trainer.current_epoch == 1:
                os.kill(os.getpid(), signal.SIGTERM)

    rng = np.random.default_rng(0)
    data = ArrayWindows(rng.standard_normal((32, 32, 32)).astype(np.float32),
                        np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)])
    config = TrainingConfig(max_epochs=3, batch_size=16, patience=50)
    with pytest.raises(TrainingInterrupted) as caught:
        fit(VGGNet(3, (32, 32)), PredictionType.SINGLE_LABEL, data, data, config, 0, "cpu", tmp_path,
            show_progress=False, callbacks=(Signal(),))
    assert isinstance(caught.value, Terminated) and isinstance(caught.value.__cause__, SIGTERMException)
    assert str(caught.value) == "terminated (SIGTERM) at epoch 2 of 3; run the same command to resume"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL and (tmp_path / "latest.ckpt").exists()
