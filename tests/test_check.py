"""``irbench check``: the same seed twice gives identical records and weights, and a difference is found."""

from __future__ import annotations

import json
import os

import pytest
import torch

from helpers import run_cli
from irbench.check import DEFAULT_BASELINES, compare_runs, run_check

pytestmark = pytest.mark.slow


def test_quick_check_finds_identical_runs_and_writes_its_figures(tmp_path, micro_stand_in, monkeypatch, capsys):
    os.symlink(micro_stand_in("irmas"), tmp_path / "irmas-micro")  # the stand-in the check would render
    code, out, err = run_cli(monkeypatch, capsys, "check", "--device", "cpu", "--quick", "--work-dir", str(tmp_path))
    assert code == 0, err  # what CI proves: every baseline, trained twice, gives identical weights and metrics
    figures = json.loads((tmp_path / "check.json").read_text())
    assert [c["baseline"] for c in figures["checks"]] == list(DEFAULT_BASELINES)
    assert all(c["identical"] and not c["differences"] and not c["problem"] for c in figures["checks"])
    printed = {line.split()[0]: line.split()[1] for line in out.splitlines() if line.split()[:1] != ["baseline"]
               and line.split() and line.split()[0] in DEFAULT_BASELINES}
    assert printed == {name: "true" for name in DEFAULT_BASELINES}
    trained = [c for c in figures["checks"] if c["baseline"] != "constant"]
    assert all(c["train_windows_per_second"] > 0 and c["reader_windows_per_second"] > 0 for c in trained)
    assert all(0 < c["data_wait_share"] < 1 for c in trained)  # the loop both read batches and stepped
    constant = figures["checks"][0]
    assert constant["reader_windows_per_second"] is None and constant["data_wait_share"] is None  # trains nothing
    assert all(len(line) <= 80 for line in out.splitlines() if not line.startswith("figures:"))

    first, second = (next((tmp_path / f"results-{a}").rglob("mlp/*/seed-0.json")) for a in "ab")
    checkpoint = second.with_name("seed-0.ckpt")
    payload = torch.load(checkpoint, weights_only=True)
    name = next(iter(payload["state_dict"]))
    payload["state_dict"][name] = payload["state_dict"][name] + 1e-7
    torch.save(payload, checkpoint)
    assert compare_runs(first, second) == [f"weights {name}"]


def test_an_unknown_device_or_baseline_stops_the_check_before_training(tmp_path):
    from irbench.errors import ConfigError, UnknownNameError

    with pytest.raises(ConfigError):
        run_check(tmp_path, device="tpu", baselines=("constant",))
    with pytest.raises(UnknownNameError):
        run_check(tmp_path, device="cpu", baselines=("nosuch",))
    assert not (tmp_path / "check.json").exists()
