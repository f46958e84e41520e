"""MLP on a resized dB spectrogram, after Multi-Instrument-Detection (anthonybob/Multi-Instrument-Detection, Medley-solos-DB).

Source, kept (``Spectogram.py``, ``Model.py``): librosa 22,050 Hz; ``|STFT|`` n_fft 2048, hop 512, Hann,
centred (1025 x 129 for 2.97 s); ``cv2.resize(..., (150, 150), interpolation=cv2.INTER_AREA)`` with
OpenCV's own weights (frequency half in the front end, time half here; see
:mod:`irbench.features.resized_stft`: on 7 real Medley-solos-DB clips the dB image is within 0.00003 dB
per pixel on average, 0.007 dB at most, of the source's; it was 6.3 dB and 66.9 dB with the torch area
pooling used before); ``amplitude_to_db(ref=max, top_db=80)``; flattened to 22,500; three ReLU hidden
layers (1,000 units for 8 classes, 500 for piano vs violin); SGD, batch 32, gradient-norm clipping at 1.0.

Deviations, each fixing a defect of the source or stated with its size:

- features stay float32 (the source rounded them to 2 decimals by saving them as text: 0.80 dB per pixel
  on average, up to 10.9 dB; this and the decoding differences are measured in
  :mod:`irbench.features.resized_stft`);
- SGD momentum 0.9 (the source set momentum equal to the learning rate, 1e-4 or 1e-3);
- learning rate 1e-3 for every task. The source trained piano vs violin at 1e-4 (momentum 1e-4, commit
  f4ee201) and 8 classes at 1e-3 (momentum 1e-3, commit a066b99). With momentum 0.9 the steady-state step
  ``lr / (1 - momentum)`` is 1e-2: 100 x the source's binary step, 10 x its 8-class step. Training
  defaults are per baseline, not per task, so the binary rate cannot be chosen here; every run's record
  states the rate, the source's, and the ratio (``notes``; see :func:`optimizer_notes`), and
  ``--config learning_rate=1e-4 momentum=0.0001`` reproduces the source's binary optimizer;
- early stopping on validation loss and the best validation checkpoint (the source ran epochs with no
  stopping rule and chose the checkpoint on the TEST set);
- windows of 129 frames over any clip, so the model also runs on clips longer than Medley-solos-DB's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from irbench.baselines.base import Baseline, BuiltModel, ModelSpec, TrainingConfig
from irbench.errors import ConfigError
from irbench.features.configs import ResizedStftConfig

SOURCE_SGD = {2: (1e-4, 1e-4), 8: (1e-3, 1e-3)}  # n_classes -> (learning rate, momentum) of the source's runs


class MlpConfig(TrainingConfig):
    """Adds ``hidden_units`` (per hidden layer; ``None``: 500 for 2 classes, else 1,000) and ``side``
    (the square image size, 150; it must equal the front end's ``n_bins``)."""

    hidden_units: int | None = Field(None, gt=0)
    side: int = Field(150, gt=0)


def optimizer_notes(n_classes: int, config: TrainingConfig) -> dict[str, Any]:
    """What a run record says about the optimizer against the source's: ``optimizer`` (this run's),
    ``source_optimizer`` (the source's run for 2 classes, else its 8-class run) and ``step_vs_source``,
    the ratio of steady-state SGD steps ``lr / (1 - momentum)`` (1.0: the source's step size; ``None``
    for Adam)."""
    source_lr, source_momentum = SOURCE_SGD[2 if n_classes == 2 else 8]
    which = "piano vs violin" if n_classes == 2 else "8 classes"
    source = f"SGD lr {source_lr:g}, momentum {source_momentum:g} (source, {which})"
    if config.optimizer != "sgd":
        return {"optimizer": f"Adam lr {config.learning_rate:g}", "source_optimizer": source, "step_vs_source": None}
    ratio = (config.learning_rate / (1 - config.momentum)) / (source_lr / (1 - source_momentum))
    return {"optimizer": f"SGD lr {config.learning_rate:g}, momentum {config.momentum:g}",
            "source_optimizer": source, "step_vs_source": round(ratio, 3)}


class MlpBaseline(Baseline):
    """Registered as ``mlp``; see the module docstring."""

    name = "mlp"
    description = "MLP on a 150x150 dB STFT image (anthonybob/Multi-Instrument-Detection, Medley-solos-DB), defects fixed."
    source = "anthonybob/Multi-Instrument-Detection (G. Baker, A. Bobrovnikov; Medley-solos-DB MLP)"
    frontend_name = "resized-stft"
    frontend_config = ResizedStftConfig()
    input_frames: ClassVar[int] = 129
    training = MlpConfig(optimizer="sgd", learning_rate=1e-3, momentum=0.9, batch_size=32, max_epochs=60,
                         patience=10, gradient_clip=1.0)

    def build(self, spec: ModelSpec, config: MlpConfig) -> BuiltModel:
        """An ``MlpNet`` (:mod:`irbench.baselines.networks.mlp`; 500 hidden units for binary tasks unless
        ``hidden_units`` is set), with the optimizer's deviation from the source in its notes
        (:func:`optimizer_notes`).

        Raises ``ConfigError`` when the front end's rows differ from ``side``, or the window is not
        shorter than ``side`` frames."""
        from irbench.baselines.networks.mlp import MlpNet

        rows, frames = spec.input_shape
        if rows != config.side:
            raise ConfigError(f"mlp: the front end gives {rows} frequency rows but side is {config.side}; "
                              "set the front end's n_bins to side")
        units = config.hidden_units or (500 if spec.n_classes == 2 else 1000)
        return BuiltModel(MlpNet(spec.n_classes, units, config.side, frames=frames),
                          optimizer_notes(spec.n_classes, config))
