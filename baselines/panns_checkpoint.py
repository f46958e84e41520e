"""PANNs Cnn14 weights (Kong et al. 2020, ``Cnn14_mAP=0.431.pth``, Zenodo record 3987831): where they come
from, where a baseline finds them, and what its run record says about them.

``irbench data download cnn14-weights`` fetches the file with pooch into ``<cache>/weights/`` and checks
the MD5 that Zenodo publishes for it (``541141fa2ee191a88f24a3219fff024e``, 327,428,481 bytes; Zenodo lists
MD5s only). ``cnn14`` and ``multistft-panns`` then start from it with no option. The order, first found
wins: the baseline's ``checkpoint`` option (``--config checkpoint=PATH``; ``checkpoint=none`` trains from
scratch), the ``IRBENCH_CNN14_CHECKPOINT`` environment variable, the downloaded file in the cache
(``--cache-dir`` as the harness passes it, else ``IRBENCH_CACHE_DIR``, else ``.cache/irbench``). Without any
the model trains from scratch, and the record and the report say so. ``panns_inference`` is not used
(importing it runs ``wget`` into the home folder).
"""

from __future__ import annotations

import logging

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from irbench.errors import ConfigError
from irbench.data.resources import RemoteFile
from irbench.data.weights import Weights, find_weights, identify

if TYPE_CHECKING:  # torch is imported by load_cnn14_state only: finding and describing weights needs none
    import torch

CHECKPOINT_ENV = "IRBENCH_CNN14_CHECKPOINT"
SCRATCH_VALUES = ("none", "scratch")  # ``--config checkpoint=none``: from scratch even when weights are cached
ZENODO_RECORD = "https://zenodo.org/records/3987831"

CNN14_WEIGHTS = Weights(
    name="cnn14-weights",
    file=RemoteFile(
        name="Cnn14_mAP=0.431.pth",
        url=f"{ZENODO_RECORD}/files/Cnn14_mAP%3D0.431.pth?download=1",
        checksum="md5:541141fa2ee191a88f24a3219fff024e",
        size=327_428_481,
        checksum_source="Zenodo record 3987831's file listing (MD5; Zenodo publishes no SHA-256)",
    ),
    description="PANNs Cnn14 trained on AudioSet (mAP 0.431), 32 kHz log-mel input",
    used_by=("cnn14", "multistft-panns"),
    homepage=ZENODO_RECORD,
    licence="CC BY 4.0",
    citation="Kong, Cao, Iqbal, Wang, Wang, Plumbley (2020), PANNs, IEEE/ACM TASLP 28:2880-2894",
)
LOG = logging.getLogger(__name__)
AUDIOSET_NOTE = "AudioSet weights (Kong et al. 2020)"  # only for the file with the published checksum
SCRATCH_NOTE = f"trained from scratch (no pretrained weights found: run `irbench data download {CNN14_WEIGHTS.name}`)"


@dataclass(frozen=True)
class Checkpoint:
    """Where a baseline's initial weights come from: ``path`` (``None``: from scratch) and ``origin``
    (``option``, ``environment``, ``cache`` or ``none``)."""

    path: Path | None
    origin: str


def find_checkpoint(option: str | None, cache_dir: Path | None = None) -> Checkpoint:
    """The Cnn14 weights a baseline starts from: ``option``, else ``$IRBENCH_CNN14_CHECKPOINT``, else the
    downloaded ``cnn14-weights`` in ``cache_dir`` (default: ``$IRBENCH_CACHE_DIR`` or ``.cache/irbench``),
    else none. ``option`` ``none`` (or ``scratch``) means from scratch whatever is downloaded."""
    if option is not None and option.strip().lower() in SCRATCH_VALUES:
        return Checkpoint(None, "option")
    if option:
        return Checkpoint(Path(option).expanduser(), "option")
    if os.environ.get(CHECKPOINT_ENV):
        return Checkpoint(Path(os.environ[CHECKPOINT_ENV]).expanduser(), "environment")
    downloaded = find_weights(CNN14_WEIGHTS, cache_dir)
    return Checkpoint(downloaded, "cache" if downloaded is not None else "none")


def announce_scratch(baseline: str, checkpoint: Checkpoint) -> None:
    """Say on the ``irbench.baselines.panns_checkpoint`` logger (WARNING: the command line shows it before
    training starts) that ``baseline`` trains from scratch because no pretrained weights were found, and how
    to get them; nothing when weights were found or ``checkpoint=none`` asked for scratch."""
    if checkpoint.path is None and checkpoint.origin == "none":
        LOG.warning(f"{baseline}: no pretrained Cnn14 weights found, so it trains from scratch; "
                    f"`irbench data download {CNN14_WEIGHTS.name}` fetches PANNs' AudioSet weights (327 MB), "
                    "or pass --config checkpoint=FILE")


def load_cnn14_state(path: Path) -> dict[str, torch.Tensor]:
    """The Cnn14 ``state_dict`` in ``path`` (PANNs stores it under ``"model"``).

    Raises ``ConfigError`` naming the file when it is missing or not a PyTorch checkpoint.
    """
    import torch

    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, ValueError, EOFError, pickle.UnpicklingError) as error:
        raise ConfigError(f"cannot read the Cnn14 checkpoint {path}: {error}") from error
    state = content.get("model", content) if isinstance(content, dict) else None
    if not isinstance(state, dict) or "conv_block1.conv1.weight" not in state:
        raise ConfigError(f"{path} is not a PANNs Cnn14 checkpoint (no conv_block1.conv1.weight)")
    return state


def describe_checkpoint(checkpoint: Checkpoint | Path | None) -> dict[str, str | None]:
    """What a run record says about initialisation: the weights' file name, SHA-256 and MD5, and whether they
    are the published ``cnn14-weights`` (``weights``), or that the model trained from scratch. The path is
    left out, so one file gives one configuration on every machine. ``initialisation`` reads "AudioSet
    weights (Kong et al. 2020)" only for a file whose checksum and size are the published ones; any other
    file, whatever its name, is "checkpoint <its SHA-256>".

    Raises ``ConfigError`` when the downloaded file in the cache differs from its published checksum (a
    damaged or partial download), or a configured file cannot be read."""
    if not isinstance(checkpoint, Checkpoint):
        checkpoint = Checkpoint(None if checkpoint is None else Path(checkpoint), "option")
    if checkpoint.path is None:
        why = "checkpoint=none" if checkpoint.origin == "option" else None
        return {"initialisation": f"trained from scratch ({why})" if why else SCRATCH_NOTE, "weights": None}
    try:
        identity = identify(checkpoint.path, CNN14_WEIGHTS)
    except OSError as error:
        raise ConfigError(f"cannot read the Cnn14 checkpoint {checkpoint.path}: {error}") from error
    if checkpoint.origin == "cache" and identity.declared is None:
        raise ConfigError(f"{checkpoint.path} differs from the published {CNN14_WEIGHTS.file.checksum}: "
                          f"delete it and run `irbench data download {CNN14_WEIGHTS.name}` again")
    return {
        "initialisation": AUDIOSET_NOTE if identity.declared else f"checkpoint {identity.sha256}",
        "weights": identity.declared or "another Cnn14 checkpoint",
        "weights_file": identity.file, "weights_sha256": identity.sha256, "weights_md5": identity.md5,
    }
