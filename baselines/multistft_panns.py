"""Multi-resolution STFT network with PANNs-initialised branches, after DL_Project (ofekdd/DL_Project,
Technion; IRMAS 11 classes).

Source architecture, kept: three STFT bands (n_fft 1024 / 512 / 256 at 22,050 Hz, hop n_fft / 4, keeping
0-1, 1-4 and 4-11.025 kHz; dB re. max, top 80 dB), one branch each: 3 x [conv 3x3 no bias -> BN -> ReLU ->
max-pool 2] with channels 1-64-128-256, then conv 256-512 -> BN -> ReLU -> adaptive average pool -> 512;
branch convolutions (and their BN) initialised from the first convolution of PANNs Cnn14's blocks 1-4
(``Cnn14_mAP=0.431.pth``); fusion: concat 1536 -> Linear 1536 -> BN -> ReLU -> Dropout 0.4 -> Linear 768 ->
BN -> ReLU -> Dropout 0.3 -> Linear 512 -> BN -> ReLU -> Linear C. Adam, weight decay 2e-4, lr 3e-3 with the
backbone frozen for 4 epochs, then 2e-4 for everything; batch 32; early stopping, patience 12.

Deviations, each fixing a defect of the source:

- the backbone really unfreezes after the warm-up (a Lightning ``BaseFinetuning`` callback adds it to the
  optimizer; the source built its optimizer once, so the backbone never trained);
- labels from the IRMAS task (the source parsed the ``[cla]`` genre tag as clarinet, merged electric into
  acoustic guitar and added an "other" class); seeded, recording-grouped validation split;
- the Cnn14 weights are found without a path (``irbench data download cnn14-weights`` once; see
  :mod:`irbench.baselines.panns_checkpoint`) and the record names them by SHA-256 and MD5 (and as "AudioSet
  weights (Kong et al. 2020)" only when their checksum is the published one); without them the
  branches train from scratch from epoch 0 (nothing to freeze), and the record says so; dB is taken per
  window rather than per clip, so long test clips are treated like training clips.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from irbench.baselines.base import Baseline, BuiltModel, ModelSpec
from irbench.baselines.cnn14 import PannsConfig
from irbench.baselines.panns_checkpoint import (
    announce_scratch,
    describe_checkpoint,
    find_checkpoint,
    load_cnn14_state,
)
from irbench.features.configs import MultiStftConfig, n_frames


class MultiStftConfigTraining(PannsConfig):
    """Adds ``unfreeze_epoch`` (epochs with a frozen pretrained backbone) and ``finetune_learning_rate``
    (the learning rate of every parameter from then on)."""

    unfreeze_epoch: int = Field(4, ge=0)
    finetune_learning_rate: float = Field(2e-4, gt=0)


class MultiStftPannsBaseline(Baseline):
    """Registered as ``multistft-panns``; see the module docstring."""

    name = "multistft-panns"
    description = "Three-band multi-STFT CNN with PANNs Cnn14-initialised branches (DL_Project), defects fixed."
    source = "ofekdd/DL_Project (Technion); branches from Kong et al. 2020"
    frontend_name = "multi-stft"
    frontend_config = MultiStftConfig()
    input_frames: ClassVar[int] = n_frames(2.97, MultiStftConfig()) - 1
    training = MultiStftConfigTraining(learning_rate=3e-3, weight_decay=2e-4, batch_size=32, max_epochs=60,
                                       patience=12)

    cache_dir: Path | None = None  # the run's --cache-dir, where downloaded weights live (None: the default)

    def weights_notes(self, config: MultiStftConfigTraining) -> dict:
        """The checkpoint ``build`` will load, described as the record notes it (``describe_checkpoint``)."""
        return describe_checkpoint(find_checkpoint(config.checkpoint, self.cache_dir))

    def build(self, spec: ModelSpec, config: MultiStftConfigTraining) -> BuiltModel:
        """A ``MultiStftPanns``, branches from PANNs' Cnn14 weights when they are found; with those weights
        (and ``unfreeze_epoch`` above 0) the backbone stays frozen for a warm-up (``UnfreezeBackbone``).

        Raises ``ConfigError`` naming the file when the weights cannot be read or the downloaded copy is
        damaged."""
        from irbench.baselines.networks.multistft_panns import MultiStftPanns, UnfreezeBackbone

        model = MultiStftPanns(spec.n_classes, self.frontend_config)
        checkpoint = find_checkpoint(config.checkpoint, self.cache_dir)
        notes = describe_checkpoint(checkpoint)
        announce_scratch(self.name, checkpoint)
        if checkpoint.path is None:
            return BuiltModel(model, notes)
        notes["tensors_loaded"] = model.load_pretrained(load_cnn14_state(checkpoint.path))
        warm_up = () if config.unfreeze_epoch == 0 else (
            UnfreezeBackbone(config.unfreeze_epoch, config.finetune_learning_rate),)
        return BuiltModel(model, notes, warm_up)
