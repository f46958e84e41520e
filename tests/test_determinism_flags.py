"""Determinism and precision settings: cuBLAS's workspace set at the entry points, strict deterministic
algorithms, cuDNN autotuning off, the fixed evaluation batch size, pinned non-blocking copies on CUDA (tested
with stand-ins for CUDA tensors), every flag in the record's provenance, and the precision setting as part of
the configuration."""

import logging
from unittest import mock

import numpy as np
import pytest
import torch

import irbench
from irbench.baselines import get_baseline
from irbench.baselines.base import TrainingConfig
from irbench.baselines.networks.vgg import VGGNet
from irbench.errors import ConfigError
from irbench.run import determinism, training
from irbench.run.configuration import configuration, planned
from irbench.run.overrides import apply_overrides
from irbench.run.provenance import base_provenance
from irbench.store.records import Provenance
from irbench.task import PredictionType
from irbench.windowing.dataset import ArrayWindows, Windows, to_device


@pytest.fixture
def fresh_state(monkeypatch):
    """A process that has not run ``prepare_determinism`` yet; torch's global flags restored afterwards."""
    saved = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
             torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic)
    monkeypatch.setitem(determinism._STATE, "cublas_before_cuda", None)
    yield
    torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
    torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = saved[2], saved[3]


def test_the_entry_sets_cublas_s_workspace_and_strict_flags(monkeypatch, fresh_state):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = True
    training.prepare_determinism()
    flags = determinism.determinism_flags()
    assert training.prepare_determinism is determinism.prepare_determinism
    import os

    assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8" == flags["cublas_workspace_config"]
    assert torch.are_deterministic_algorithms_enabled() and not torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.benchmark is False and torch.backends.cudnn.deterministic is True
    assert flags["cublas_before_cuda"] is True and flags["deterministic_warn_only"] is False
    assert flags["evaluation_batch_size"] == determinism.EVALUATION_BATCH_SIZE == 64


@pytest.mark.parametrize("given, kept", [(":16:8", ":16:8"), (":4096:8", ":4096:8"), (":0:0", ":4096:8")])
def test_a_deterministic_workspace_a_user_chose_is_kept(monkeypatch, fresh_state, given, kept):
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", given)
    determinism.prepare_determinism()
    assert determinism.determinism_flags()["cublas_workspace_config"] == kept


def test_cuda_started_before_the_entry_is_warned_about_and_recorded(monkeypatch, fresh_state, caplog):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.setattr(determinism, "_cuda_started", lambda: True)
    with caplog.at_level(logging.WARNING, logger="irbench.run.determinism"):
        determinism.prepare_determinism()
    flags = determinism.determinism_flags()
    assert "CUDA started before irbench set CUBLAS_WORKSPACE_CONFIG" in caplog.text
    assert flags["cublas_before_cuda"] is False and flags["cublas_workspace_config"] == ":4096:8"


def test_the_entry_sets_the_workspace_without_importing_torch():
    import os
    import subprocess
    import sys

    code = ("import os, sys; from irbench.run.determinism import prepare_determinism; prepare_determinism(); "
            "print(os.environ['CUBLAS_WORKSPACE_CONFIG'], 'torch' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "CUBLAS_WORKSPACE_CONFIG"}
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert ran.stdout.split() == [":4096:8", "False"]


def test_evaluate_prepares_determinism_before_anything_else(monkeypatch, tmp_path):
    class Called(Exception):
        pass

    def called():
        raise Called

    monkeypatch.setattr(determinism, "prepare_determinism", called)
    with pytest.raises(Called):
        irbench.evaluate("vgg", "irmas", tmp_path / "nothing-here")


def test_the_provenance_names_every_flag_and_the_record_keeps_them():
    provenance = base_provenance()
    flags = provenance["determinism"]
    assert {"cublas_workspace_config", "cublas_before_cuda", "deterministic_algorithms", "deterministic_warn_only",
            "cudnn_benchmark", "cudnn_deterministic", "cuda_matmul_tf32", "cudnn_tf32", "evaluation_batch_size",
            "pinned_host_batches", "host_loader_workers"} <= set(flags)
    model = Provenance(**provenance, device="cpu", device_name="x", dataset_fingerprint="0" * 64, data_home="d",
                       seconds={})
    assert Provenance.model_validate_json(model.model_dump_json()).determinism == flags


def _model_and_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 32, 32)).astype(np.float32)
    labels = rng.integers(0, 3, 40)
    x[np.arange(40), labels * 8] += 3.0
    torch.manual_seed(0)
    return VGGNet(3, (32, 32)), ArrayWindows(x, np.eye(3, dtype=np.float32)[labels])


def test_training_runs_strict_not_warn_with_autotuning_off(tmp_path, monkeypatch):
    import lightning

    seen = {}
    original = lightning.Trainer.__init__

    def recording(self, *args, **kwargs):
        seen.update(kwargs)
        original(self, *args, **kwargs)

    monkeypatch.setattr(lightning.Trainer, "__init__", recording)
    model, data = _model_and_data()
    training.fit(model, PredictionType.SINGLE_LABEL, data, data, TrainingConfig(max_epochs=1, batch_size=16), 0,
                 "cpu", tmp_path, show_progress=False)
    assert seen["deterministic"] is True and seen["benchmark"] is False and seen["precision"] == "32-true"
    assert torch.are_deterministic_algorithms_enabled() and not torch.is_deterministic_algorithms_warn_only_enabled()
    assert torch.backends.cudnn.benchmark is False


def test_bf16_mixed_trains_and_evaluates_on_the_cpu(tmp_path):
    model, data = _model_and_data()
    config = apply_overrides(TrainingConfig(max_epochs=1, batch_size=16), ["precision=bf16-mixed"], None)
    assert config.precision == "bf16-mixed"
    result = training.fit(model, PredictionType.SINGLE_LABEL, data, data, config, 0, "cpu", tmp_path,
                          show_progress=False)
    assert result.epochs == 1 and np.isfinite(result.best_validation_loss)
    mixed = training.predict_dataset(model, data, PredictionType.SINGLE_LABEL, "cpu", precision="bf16-mixed")
    full = training.predict_dataset(model, data, PredictionType.SINGLE_LABEL, "cpu")
    assert mixed.dtype == np.float32 and np.allclose(mixed.sum(axis=1), 1, atol=1e-3)
    assert not np.array_equal(mixed, full) and np.abs(mixed - full).max() < 0.1  # bf16 rounding, same model


def test_precision_16_mixed_needs_cuda_and_unknown_precisions_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="precision"):
        apply_overrides(TrainingConfig(), ["precision=fp8"], None)
    model, data = _model_and_data()
    with pytest.raises(ConfigError, match="needs CUDA"):
        training.fit(model, PredictionType.SINGLE_LABEL, data, data,
                     TrainingConfig(max_epochs=1, precision="16-mixed"), 0, "cpu", tmp_path, show_progress=False)


def test_precision_is_part_of_the_configuration_and_the_default_keeps_old_digests():
    baseline = get_baseline("vgg")
    default = planned(baseline, baseline.training)
    mixed = planned(baseline, apply_overrides(baseline.training, ["precision=bf16-mixed"], None))
    assert mixed.digest != default.digest and "precision=bf16-mixed" in mixed.label
    assert default.label == "default" and "precision" not in default.settings["training"]
    before_the_setting = {k: v for k, v in baseline.training.model_dump().items() if k != "precision"}
    old = configuration(baseline.name, baseline.describe(), before_the_setting)
    assert old.digest == default.digest


def test_the_precision_s_other_names_are_read_as_lightning_s_and_keep_its_digests():
    baseline = get_baseline("vgg")
    for alias, name in (("fp32", "32-true"), ("fp16-mixed", "16-mixed")):
        aliased = apply_overrides(baseline.training, [f"precision={alias}"], None)
        assert aliased.precision == name
        assert planned(baseline, aliased).digest == planned(baseline, apply_overrides(
            baseline.training, [f"precision={name}"], None)).digest


def test_run_s_precision_option_is_the_config_setting(micro_irmas, tmp_path, monkeypatch, capsys):
    from helpers import run_cli

    common = ("run", "-t", "irmas", "-b", "mlp", "-d", str(micro_irmas), "--cache-dir", str(tmp_path / "c"),
              "--max-epochs", "1", "-q")
    for results, extra in (("plain", ()), ("fp32", ("--precision", "fp32")),
                           ("bf16", ("--precision", "bf16-mixed")),
                           ("bf16-config", ("--config", "precision=bf16-mixed"))):
        code, _, err = run_cli(monkeypatch, capsys, *common, "--results-dir", str(tmp_path / results), *extra)
        assert code == 0, err
    folders = {results: next((tmp_path / results).rglob("seed-0.json")).parent.name
               for results in ("plain", "fp32", "bf16", "bf16-config")}
    assert folders["plain"] == folders["fp32"] and "precision" not in folders["plain"]
    assert folders["bf16"] == folders["bf16-config"] != folders["plain"] and "bf16" in folders["bf16"]
    code, _, err = run_cli(monkeypatch, capsys, *common, "--results-dir", str(tmp_path / "twice"),
                           "--precision", "bf16-mixed", "--config", "precision=32-true")
    assert code == 2 and "--precision" in err and not (tmp_path / "twice").exists()


def test_evaluation_batches_are_fixed_whatever_the_training_batch_size():
    sizes = []

    class Counting(Windows):
        def __init__(self, n):
            self.targets = self.mask = np.zeros((n, 3), np.float32)

        def windows(self, rows):
            sizes.append(len(rows))
            return np.zeros((len(rows), 32, 32), np.float32)

    model, _ = _model_and_data()
    training.predict_dataset(model, Counting(150), PredictionType.SINGLE_LABEL, "cpu")
    assert sizes == [64, 64, 22]


def test_host_batches_to_cuda_are_pinned_and_copied_without_blocking():
    tensor = mock.MagicMock()
    tensor.device.type = "cpu"
    pinned = tensor.pin_memory.return_value
    assert to_device(tensor, "cuda") is pinned.to.return_value
    pinned.to.assert_called_once_with("cuda", non_blocking=True)
    on_gpu = mock.MagicMock()
    on_gpu.device.type = "cuda"
    to_device(on_gpu, "cuda:0")
    on_gpu.pin_memory.assert_not_called()
    on_gpu.to.assert_called_once_with("cuda:0", non_blocking=True)
    host = torch.ones(2)
    assert to_device(host, "cpu") is host  # the CPU: a plain .to, no pinning


def test_the_loader_pins_host_stores_for_cuda_only_and_reads_them_in_workers(tmp_path):
    from irbench.features.packed import DeviceWindows

    _, data = _model_and_data()
    to_cuda, on_cpu = training._loader(data, 8, True, 0, "cuda"), training._loader(data, 8, True, 0, "cpu")
    assert to_cuda.pin_memory is True and to_cuda.num_workers == training.HOST_LOADER_WORKERS > 0
    assert to_cuda.persistent_workers is True  # started once per fit, not once per epoch
    assert on_cpu.pin_memory is False and on_cpu.num_workers == 0  # workers would take cores from training
    resident = DeviceWindows(torch.from_numpy(data.features), data.targets, data.mask)
    gathered = training._loader(resident, 8, True, 0, "cuda")
    assert gathered.pin_memory is False and gathered.num_workers == 0  # nothing to read or copy
