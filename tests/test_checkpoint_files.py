"""How a run's checkpoints are written: ``without_zip_checksums`` turns PyTorch's CRC-32 off for the block
only, and what it writes loads (``weights_only=True``) into the same tensors."""

from __future__ import annotations

import pytest
import torch

from irbench.run.checkpoint import without_zip_checksums

serialization = pytest.importorskip("torch.utils.serialization", reason="torch before 2.6 has no save config")
save_config = serialization.config.save


def test_checksums_are_off_inside_the_block_and_restored_after_even_on_an_error():
    before = save_config.compute_crc32
    with without_zip_checksums():
        assert save_config.compute_crc32 is False
    assert save_config.compute_crc32 == before
    with pytest.raises(RuntimeError, match="inside"):
        with without_zip_checksums():
            raise RuntimeError("inside")
    assert save_config.compute_crc32 == before


def test_a_checkpoint_written_without_checksums_loads_into_the_same_tensors(tmp_path):
    generator = torch.Generator().manual_seed(0)
    state = {"conv.weight": torch.randn(64, 32, 3, 3, generator=generator), "steps": torch.tensor(7),
             "half": torch.randn(100, generator=generator).to(torch.bfloat16)}
    with without_zip_checksums():
        torch.save({"state_dict": state, "epoch": 3}, tmp_path / "best.pt")
    loaded = torch.load(tmp_path / "best.pt", weights_only=True)
    assert loaded["epoch"] == 3 and loaded["state_dict"].keys() == state.keys()
    assert all(torch.equal(loaded["state_dict"][k], v) and loaded["state_dict"][k].dtype == v.dtype
               for k, v in state.items())
