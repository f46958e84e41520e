"""Messages that say the right thing (issue 22.11, 22.12): resuming after training had finished, a results
folder above or below the records, a data folder inside the dataset, a name in the wrong case, the PANNs
baselines on CPU, and streaming that refuses NaN samples and implausible header rates itself."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile
import torch

from helpers import run_cli
from test_report_support import write_run


def _fit_three_epochs(work):
    """A linear model trained for 3 epochs in ``work`` (milliseconds each); leaves ``work/latest.ckpt``."""
    from irbench.baselines.base import TrainingConfig
    from irbench.run.training import fit
    from irbench.task import PredictionType
    from irbench.windowing.dataset import ArrayWindows

    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 8, 8)).astype(np.float32)
    y = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 40)]
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2))
    config = TrainingConfig(max_epochs=3, batch_size=8, patience=50)
    fit(model, PredictionType.SINGLE_LABEL, ArrayWindows(x[:30], y[:30]), ArrayWindows(x[30:], y[30:]), config,
        0, "cpu", work, show_progress=False)
    return work / "latest.ckpt"


def test_resuming_after_training_had_finished_never_names_an_epoch_past_the_last(tmp_path, caplog):
    from irbench.run.callbacks import resume_point

    latest = _fit_three_epochs(tmp_path)
    said = {}
    for max_epochs in (3, 2, 5):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="irbench.run.callbacks"):
            assert resume_point(latest, max_epochs)
        said[max_epochs] = " ".join(record.getMessage() for record in caplog.records)
    assert "finished all 3 epochs (3 of 3 done" in said[3] and "evaluating" in said[3]
    assert "3 epochs done, more than the 2 asked for" in said[2] and "evaluating" in said[2]
    assert said[5].startswith("resuming from epoch 4 of 5 (3 done")
    for max_epochs in (3, 2):
        assert said[max_epochs].startswith("training had finished") and "epoch 4" not in said[max_epochs]


@pytest.mark.parametrize("option, given, suggested", [("--task", "IRMAS", "irmas"), ("--baseline", "VGG", "vgg"),
                                                      ("--baseline", "Multistft-PANNs", "multistft-panns")])
def test_a_name_in_the_wrong_case_gets_its_spelling(monkeypatch, capsys, tmp_path, option, given, suggested):
    names = {"--task": "irmas", "--baseline": "constant", option: given}
    code, _, err = run_cli(monkeypatch, capsys, "run", "--task", names["--task"], "--baseline", names["--baseline"],
                           "--data-home", str(tmp_path), "--results-dir", str(tmp_path / "r"))
    assert code == 2 and f"unknown {option[2:]} {given!r}. Did you mean {suggested!r}?" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_validate_and_data_commands_suggest_the_spelling_too(monkeypatch, capsys, tmp_path):
    for args in (["validate", "IRMAS"], ["data", "verify", "IRMAS", "-d", str(tmp_path)],
                 ["data", "synth", "Irmas", "--out", str(tmp_path / "x")]):
        code, _, err = run_cli(monkeypatch, capsys, *args)
        assert code == 2 and "Did you mean 'irmas'?" in err, (args, err)


def test_a_data_home_inside_the_dataset_names_the_folder_to_pass(monkeypatch, capsys, tiny_irmas, tmp_path):
    for inner, which in (("IRMAS-TrainingData", "its parent"), ("IRMAS-TrainingData/cel", "the dataset's own folder")):
        code, _, err = run_cli(monkeypatch, capsys, "run", "-t", "irmas", "-b", "constant", "-d",
                               str(tiny_irmas / inner), "--results-dir", str(tmp_path / "r"), "--cache-dir",
                               str(tmp_path / "c"))
        text = " ".join(err.split())
        assert code == 2, err
        assert f"this looks like the {inner} folder inside the irmas dataset" in text, err
        assert f"pass {which}: --data-home {tiny_irmas.resolve()}" in text, err
        assert "irbench data synth" not in err  # no stand-in suggested into the user's data folder
    code, _, err = run_cli(monkeypatch, capsys, "run", "-t", "irmas", "-b", "constant", "-d", str(tmp_path / "none"),
                           "--results-dir", str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c"))
    assert code == 2 and "irbench data synth irmas" in err  # a folder that is no dataset keeps the loader's advice


@pytest.fixture
def results(tmp_path):
    """A results folder holding one record at irmas/vgg/<configuration>/seed-0.json."""
    root = tmp_path / "results"
    write_run(root, task="irmas", baseline="vgg", folder="vgg/default-0123abcd")
    return root


def test_report_names_the_results_folder_when_given_one_inside_or_above_it(monkeypatch, capsys, results, tmp_path):
    for given in (results / "irmas/vgg", results / "irmas/vgg/default-0123abcd", tmp_path):
        code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(given), "--out",
                               str(tmp_path / "out"), "--format", "csv")
        assert code == 2 and f"pass --results-dir {results}" in " ".join(err.split()), (given, err)
        assert "irmas/vgg/default-0123abcd/seed-0.json" in err
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(results / "irmas"), "--out",
                           str(tmp_path / "out"), "--format", "csv")
    assert code == 0, err  # a task folder still reports (its records sit at <baseline>/<configuration>/)
    (tmp_path / "empty").mkdir()
    code, _, err = run_cli(monkeypatch, capsys, "report", "--results-dir", str(tmp_path / "empty"), "--out",
                           str(tmp_path / "out"))
    assert code == 2 and "no run records under" in err and "pass --results-dir" not in err


def test_the_panns_baselines_on_cpu_warn_with_their_measured_cost_before_anything_runs(monkeypatch, capsys,
                                                                                       tmp_path):
    from irbench.cli.run import CPU_COSTS, cpu_cost_warning

    assert set(CPU_COSTS) == {"multistft-panns", "cnn14"}
    for name, cost in CPU_COSTS.items():
        line = cpu_cost_warning(name, "cpu")
        assert f"{cost.gigabytes:g} GB" in line and f"{cost.seconds_per_epoch:g} s per epoch" in line
        assert cost.measured in line and "\n" not in line
        assert cpu_cost_warning(name, "cuda") is None
    assert cpu_cost_warning("vgg", "cpu") is None
    code, _, err = run_cli(monkeypatch, capsys, "run", "-t", "irmas", "-b", "multistft-panns", "--device", "cpu",
                           "-d", str(tmp_path / "none"), "--results-dir", str(tmp_path / "r"), "--cache-dir",
                           str(tmp_path / "c"))
    lines = err.strip().splitlines()
    assert code == 2 and lines[0].startswith("warning: multistft-panns on CPU is heavy") and "GB" in lines[0]


def test_streaming_refuses_nan_samples_and_an_implausible_rate_itself(tmp_path):
    from irbench.errors import AudioDecodeError
    from irbench.streaming import resampled_blocks

    samples = np.random.default_rng(0).uniform(-0.1, 0.1, 44_100 * 12).astype(np.float32)
    samples[44_100 * 7 + 3] = np.nan  # in the second 5-s block
    soundfile.write(tmp_path / "nan.wav", samples, 44_100, subtype="FLOAT")
    blocks = resampled_blocks(tmp_path / "nan.wav", 16_000, block_seconds=5.0)
    assert next(blocks).shape[0] > 0  # the first block is clean
    with pytest.raises(AudioDecodeError, match=rf"nan\.wav: it holds NaN or infinite samples \(the first at "
                                               rf"frame {44_100 * 7 + 3}\)"):
        next(blocks)
    soundfile.write(tmp_path / "one-hertz.wav", samples[:3 * 44_100] * 0, 1, subtype="PCM_16")
    with pytest.raises(AudioDecodeError, match=r"one-hertz\.wav: its header states an implausible sample rate of 1 Hz"):
        next(resampled_blocks(tmp_path / "one-hertz.wav", 16_000))
    soundfile.write(tmp_path / "fine.wav", np.nan_to_num(samples), 44_100, subtype="FLOAT")
    assert sum(len(block) for block in resampled_blocks(tmp_path / "fine.wav", 16_000)) == 16_000 * 12
