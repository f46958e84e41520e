"""What a rerun says about the checkpoint it found (issue 22): for every number of epochs done and every
``--max-epochs``, the counts agree with each other and never name an epoch past the last ("resuming from
epoch 4 of 3"), and a run that has nothing left to train says so in words."""

from __future__ import annotations

import logging
import re

import pytest
import torch


def _said(tmp_path, completed: int, max_epochs: int, caplog) -> str:
    """What ``resume_point`` logs for a checkpoint whose last saved epoch is the ``completed``-th."""
    from irbench.run.callbacks import resume_point

    latest = tmp_path / f"{completed}-{max_epochs}" / "latest.ckpt"
    latest.parent.mkdir()
    torch.save({"epoch": completed - 1, "callbacks": {}}, latest)  # Lightning's 0-based index of that epoch
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="irbench.run.callbacks"):
        assert resume_point(latest, max_epochs) is True
    return " ".join(record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("max_epochs", [1, 2, 3, 5])
def test_resume_messages_count_epochs_consistently(tmp_path, caplog, max_epochs):
    for completed in range(1, max_epochs + 3):
        said = _said(tmp_path, completed, max_epochs, caplog)
        for named, of in re.findall(r"epoch (\d+) of (\d+)", said):
            assert int(of) == max_epochs and int(named) <= max_epochs, said
        if completed < max_epochs:
            assert said.startswith(f"resuming from epoch {completed + 1} of {max_epochs} ({completed} done"), said
        elif completed == max_epochs:
            epochs = "its 1 epoch" if max_epochs == 1 else f"all {max_epochs} epochs"
            assert said.startswith(f"training had finished {epochs} ({completed} of {max_epochs} done"), said
            assert "all 1 epochs" not in said
        else:
            assert said.startswith(f"training had finished: {completed} epochs done, more than the {max_epochs} "
                                   "asked for"), said
        if completed >= max_epochs:
            assert "nothing left to train, evaluating its best epoch" in said and "resuming" not in said, said
