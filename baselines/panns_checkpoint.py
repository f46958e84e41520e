"""Reading a PANNs Cnn14 checkpoint (Kong et al. 2020, ``Cnn14_mAP=0.431.pth``, a separate 300 MB download).

The path comes from the baseline's ``checkpoint`` option or the ``IRBENCH_CNN14_CHECKPOINT`` environment
variable. Nothing is downloaded: without a checkpoint the PANNs baselines train from scratch and their run
records say so. ``panns_inference`` is not used (importing it runs ``wget`` into the home directory).
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path

import torch

from irbench.errors import ConfigError

CHECKPOINT_ENV = "IRBENCH_CNN14_CHECKPOINT"


def checkpoint_path(option: str | None) -> Path | None:
    """The configured checkpoint path (option first, then the environment variable), or ``None``."""
    value = option or os.environ.get(CHECKPOINT_ENV)
    return Path(value).expanduser() if value else None


def load_cnn14_state(path: Path) -> dict[str, torch.Tensor]:
    """The Cnn14 ``state_dict`` in ``path`` (PANNs stores it under ``"model"``).

    Raises ``ConfigError`` naming the file when it is missing or not a PyTorch checkpoint.
    """
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as error:
        raise ConfigError(f"cannot read the Cnn14 checkpoint {path}: {error}") from error
    state = content.get("model", content) if isinstance(content, dict) else None
    if not isinstance(state, dict) or "conv_block1.conv1.weight" not in state:
        raise ConfigError(f"{path} is not a PANNs Cnn14 checkpoint (no conv_block1.conv1.weight)")
    return state


def describe_checkpoint(path: Path | None) -> dict[str, str | None]:
    """What a run record says about initialisation: the file and its SHA-256, or training from scratch."""
    if path is None:
        return {"initialisation": "trained from scratch (no Cnn14 checkpoint given)", "checkpoint": None}
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return {"initialisation": "PANNs Cnn14 checkpoint", "checkpoint": str(path), "checkpoint_sha256": digest}
