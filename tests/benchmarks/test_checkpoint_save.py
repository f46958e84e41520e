"""Seconds of ``torch.save`` for Cnn14's weights (80M parameters, 304 MiB) and for its Lightning-style
checkpoint with Adam's two moments (912 MiB), with PyTorch's zip CRC-32 and without it
(:func:`irbench.run.checkpoint.without_zip_checksums`, how irbench writes every checkpoint of a run).

Run with ``pytest tests/benchmarks/test_checkpoint_save.py --benchmark-enable -s``; skipped otherwise.
"""

from __future__ import annotations

import time

import pytest
import torch

from irbench.run.checkpoint import without_zip_checksums


@pytest.fixture(scope="module")
def payloads():
    from irbench.baselines.networks.cnn14 import Cnn14

    model = Cnn14(n_classes=11)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.randn(2, 64, 300)).sum().backward()
    optimizer.step()
    return {"weights": {"state_dict": model.state_dict()},
            "weights + Adam": {"state_dict": model.state_dict(), "optimizer": optimizer.state_dict()}}


def test_checkpoint_save_with_and_without_zip_checksums(benchmark, payloads, tmp_path):
    def one_round() -> dict[str, float]:
        seconds = {}
        for name, payload in payloads.items():
            for checksums in (True, False):
                start = time.perf_counter()
                if checksums:
                    torch.save(payload, tmp_path / "checkpoint.pt")
                else:
                    with without_zip_checksums():
                        torch.save(payload, tmp_path / "checkpoint.pt")
                seconds[(name, checksums)] = time.perf_counter() - start
        return seconds

    seconds = benchmark.pedantic(one_round, rounds=1, iterations=1)
    with_adam_mib = (tmp_path / "checkpoint.pt").stat().st_size / 2**20  # the last one written: weights + Adam
    print(f"\ntorch.save of Cnn14 ({with_adam_mib:.0f} MiB with Adam), seconds of wall time:")
    print(f"{'':16s} {'with CRC-32':>12s} {'without':>9s}")
    for name in payloads:
        print(f"{name:16s} {seconds[(name, True)]:12.2f} {seconds[(name, False)]:9.2f}")
    assert all(value > 0 for value in seconds.values())
