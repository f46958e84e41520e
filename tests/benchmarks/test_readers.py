"""Windows per second of the three window stores, and whether they could feed an H100 (pytest-benchmark).

For the vgg, cnn14 and multistft-panns windows of the tiny IRMAS stand-in's training split, side by side in
one run: the per-file reader (one ``pread`` per window), the packed store (one fancy index into one memory map
per split) and the device-resident store (the pack as one tensor, batches gathered with ``index_select``; on
this CPU-only machine the "device" is the CPU, so the figure is the gather's cost without a host copy). Each
store serves the batches a training epoch asks for (seeded shuffle, the baseline's batch size, through
``__getitems__`` as the loader calls it); rounds alternate between the stores, so machine load hits all three
alike, and the median round counts.

Then the FLOPs of one training step (forward and backward, ``torch.utils.flop_counter.FlopCounterMode``) of
every gradient-trained baseline at full width, and the windows per second an H100 SXM would consume at 35% of
its dense BF16 (989 TFLOPS) and TF32 (495 TFLOPS) peaks: what a store must deliver to keep it busy.

Run with ``pytest tests/benchmarks/test_readers.py --benchmark-enable -s``; skipped otherwise.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest
import torch

H100_TFLOPS = {"bf16": 989.0, "tf32": 495.0}
"""Dense peaks of an H100 SXM (NVIDIA's datasheet, without sparsity), in 10^12 FLOP/s."""
SHARE = 0.35
"""The share of the peak a well-fed training step reaches (a realistic figure for convolutional models)."""
STORE_BASELINES = ("vgg", "cnn14", "multistft-panns")
FLOP_BASELINES = ("vgg", "mlp", "transformer", "cnn14", "multistft-panns")
ROUNDS = 5
SECONDS_PER_ROUND = 0.4
RESULTS: dict[str, dict] = {}


@pytest.fixture(autouse=True)
def _measuring_only(benchmark):
    """Extraction for five front ends and full-width FLOP counts take minutes: measured with
    ``--benchmark-enable`` only."""
    if benchmark.disabled:
        pytest.skip("window stores and FLOPs are measured with --benchmark-enable")


def _prepared(name: str, data_home, cache_dir):
    from irbench.baselines import get_baseline
    from irbench.run.overrides import apply_overrides
    from irbench.run.prepare import Stages, prepare
    from irbench.tasks import get_task

    baseline, task = get_baseline(name), get_task("irmas")
    baseline.cache_dir = cache_dir
    overrides = ["checkpoint=none"] if "checkpoint" in baseline.training.model_dump() else []
    config = apply_overrides(baseline.training, overrides, None)
    data = task.load(data_home)
    prepared = prepare(task, data, baseline.frontend_name, baseline.frontend_config.model_dump(),
                       baseline.input_frames, cache_dir, 2, False, False, Stages())
    return baseline, config, task, prepared


def _epoch(store, batch_size: int, order: np.ndarray) -> int:
    """Serve one epoch's batches in ``order``; the windows served."""
    served = 0
    for first in range(0, len(order), batch_size):
        windows = store.__getitems__(order[first:first + batch_size].tolist())[0]
        served += windows.shape[0]
    return served


def _rate(store, batch_size: int, order: np.ndarray) -> float:
    """Windows per second over whole epochs lasting about ``SECONDS_PER_ROUND``."""
    served, start = 0, time.perf_counter()
    while time.perf_counter() - start < SECONDS_PER_ROUND:
        served += _epoch(store, batch_size, order)
    return served / (time.perf_counter() - start)


@pytest.mark.parametrize("name", STORE_BASELINES)
def test_window_stores_side_by_side(benchmark, name, tiny_irmas, feature_cache):
    from irbench.features.reader import WindowReader
    from irbench.windowing.dataset import WindowDataset

    baseline, config, _, prepared = _prepared(name, tiny_irmas, feature_cache)
    index = prepared.indexes["train"]
    packed = prepared.packed["train"]
    stores = {"per-file": WindowDataset(index, WindowReader(prepared.reader.pad_value)), "packed": packed,
              "device (cpu)": packed.on_device("cpu")}
    order = np.random.default_rng(0).permutation(len(index))
    for store in stores.values():  # warm: page cache, open files
        _epoch(store, config.batch_size, order)
    rounds = {key: [] for key in stores}
    for _ in range(ROUNDS):
        for key, store in stores.items():
            rounds[key].append(_rate(store, config.batch_size, order))
    benchmark.pedantic(_epoch, args=(packed, config.batch_size, order), rounds=ROUNDS, iterations=1)
    rates = {key: statistics.median(values) for key, values in rounds.items()}
    RESULTS[name] = {"windows": len(index), "shape": packed.shape[1:], "batch": config.batch_size, **rates}
    print(f"\n{name}: {len(index)} training windows {packed.shape[1]} x {packed.shape[2]}, batch "
          f"{config.batch_size}: " + ", ".join(f"{key} {rate:,.0f}/s" for key, rate in rates.items())
          + f"; packed / per-file {rates['packed'] / rates['per-file']:.1f}x")
    assert rates["packed"] >= 3 * rates["per-file"], rates


def _step_flops(baseline, config, task, prepared) -> float:
    """FLOPs of one forward and backward pass per window, counted on a batch of 2 (they scale with it)."""
    from irbench.baselines.base import ModelSpec
    from irbench.run.training import loss_function
    from torch.utils.flop_counter import FlopCounterMode

    index = prepared.indexes["train"]
    spec = ModelSpec(n_classes=len(task.metadata.labels), prediction_type=task.metadata.train_prediction_type,
                     input_shape=(index.n_features, baseline.input_frames), class_priors=prepared.class_priors,
                     feature_mean=prepared.feature_mean, feature_std=prepared.feature_std,
                     task=task.metadata.name, labels=tuple(task.metadata.labels))
    torch.manual_seed(0)
    model = baseline.assemble(spec, config).module.train()
    batch = prepared.dataset("train").__getitems__([0, 1])
    loss = loss_function(spec.prediction_type)
    with FlopCounterMode(display=False) as counter:
        loss(model(batch[0]), batch[1], batch[2]).backward()
    return counter.get_total_flops() / 2


def test_flops_per_training_step_and_what_an_h100_would_consume(benchmark, tiny_irmas, feature_cache):
    rows = []
    for name in FLOP_BASELINES:
        baseline, config, task, prepared = _prepared(name, tiny_irmas, feature_cache)
        per_window = _step_flops(baseline, config, task, prepared)
        assert per_window > 0, name
        h100 = {kind: SHARE * peak * 1e12 / per_window for kind, peak in H100_TFLOPS.items()}
        rows.append((name, config.batch_size, per_window, h100))
    benchmark.pedantic(lambda: None, rounds=1)
    print(f"\n{'baseline':<16} {'GFLOP/window':>12} {'GFLOP/step':>11} {'H100 BF16 35%':>14} {'H100 TF32 35%':>14}"
          f"  fed by (windows/s on this CPU: per-file / packed / device)")
    for name, batch, per_window, h100 in rows:
        measured = RESULTS.get(name)
        fed = "" if measured is None else " / ".join(
            f"{measured[key]:,.0f}{'' if measured[key] >= h100['bf16'] else '!'}"
            for key in ("per-file", "packed", "device (cpu)"))
        print(f"{name:<16} {per_window / 1e9:12.3f} {per_window * batch / 1e9:11.2f} {h100['bf16']:12,.0f}/s "
              f"{h100['tf32']:12,.0f}/s  {fed}")
    print("(! = slower than an H100 at 35% of its BF16 peak would consume)")
