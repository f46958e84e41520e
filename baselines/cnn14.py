"""PANNs Cnn14 (Kong, Cao, Iqbal, Wang, Wang, Plumbley 2020, IEEE/ACM TASLP 28:2880-2894), fine-tuned
end to end from PANNs' AudioSet weights when they are at hand: downloaded once with
``irbench data download cnn14-weights`` and picked up with no option (or ``--config checkpoint=PATH``,
``IRBENCH_CNN14_CHECKPOINT``; see :mod:`irbench.baselines.panns_checkpoint`), else trained from scratch. The run
record's ``config.baseline.notes`` name the weights with their SHA-256 and MD5 (``initialisation``: "AudioSet
weights (Kong et al. 2020)" only when the file's checksum is the published one, else "checkpoint <SHA-256>"),
or say "trained from scratch".

Architecture (module names follow the PANNs checkpoint, so its weights load by name): log-mel at 32 kHz,
n_fft 1024, hop 320, 64 mel bands 50-14,000 Hz, ``10 log10``; ``bn0`` over mel bands; 6 blocks of
2 x (conv 3x3 -> BN -> ReLU) with 2x2 average pooling (1x1 after the last) and dropout 0.2, channels
64-128-256-512-1024-2048; mean over frequency; max + mean over time; dropout 0.5; ``fc1`` 2048 -> 2048 ReLU;
dropout 0.5; a new linear head for the task's classes (``fc_audioset``'s 527 AudioSet classes are dropped).

Deviations from PANNs' AudioSet training: zero padding at clip edges (PANNs pads by reflection), no
SpecAugment or mixup, 3 s windows, Adam at 1e-4 with early stopping on validation loss.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from irbench.baselines.base import Baseline, BuiltModel, ModelSpec, TrainingConfig
from irbench.baselines.panns_checkpoint import (
    announce_scratch,
    describe_checkpoint,
    find_checkpoint,
    load_cnn14_state,
)
from irbench.features.configs import LogMelConfig

AUDIOSET_CLASSES = 527
"""Classes of PANNs' AudioSet head ``fc_audioset`` (Kong et al. 2020; Gemmeke et al. 2017's ontology)."""


class PannsConfig(TrainingConfig):
    """Adds ``checkpoint``: a Cnn14 checkpoint's path, ``none`` to train from scratch, or unset for
    ``$IRBENCH_CNN14_CHECKPOINT``, else the downloaded ``cnn14-weights`` in the cache."""

    checkpoint: str | None = None


class Cnn14Baseline(Baseline):
    """Registered as ``cnn14``; see the module docstring."""

    name = "cnn14"
    description = "PANNs Cnn14 fine-tuned end to end (Kong et al. 2020); pretrained when a checkpoint is given."
    source = "Kong et al. 2020, PANNs (IEEE/ACM TASLP 28)"
    frontend_config = LogMelConfig(sample_rate=32_000, n_fft=1024, hop_length=320, n_mels=64, f_min=50.0,
                                   f_max=14_000.0, scale="db")
    input_frames: ClassVar[int] = 300
    training = PannsConfig(learning_rate=1e-4, batch_size=32, max_epochs=30, patience=6)
    cache_dir: Path | None = None  # the run's --cache-dir, where downloaded weights live (None: the default)

    def weights_notes(self, config: PannsConfig) -> dict:
        """The checkpoint ``build`` will load, described as the record notes it (``describe_checkpoint``)."""
        return describe_checkpoint(find_checkpoint(config.checkpoint, self.cache_dir))

    def build(self, spec: ModelSpec, config: PannsConfig) -> BuiltModel:
        """A ``Cnn14``, initialised from PANNs' weights when they are found (see the module docstring).

        Raises ``ConfigError`` naming the file when the weights cannot be read or the downloaded copy is
        damaged."""
        from irbench.baselines.networks.cnn14 import Cnn14

        model = Cnn14(spec.n_classes, spec.input_shape[0])
        checkpoint = find_checkpoint(config.checkpoint, self.cache_dir)
        notes = describe_checkpoint(checkpoint)
        announce_scratch(self.name, checkpoint)
        if checkpoint.path is not None:
            notes["tensors_loaded"] = len(model.load_pretrained(load_cnn14_state(checkpoint.path)))
        return BuiltModel(model, notes)
