"""Training hyperparameters: the settings the training loop reads (owned by training, declared per baseline).

Baselines set their defaults (``Baseline.training``) and may subclass :class:`TrainingConfig` with their own
fields; users override them with ``--config key=value`` (:mod:`irbench.run.overrides`); every value is stored in
the run record.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

PRECISION_ALIASES = {"fp32": "32-true", "fp16-mixed": "16-mixed"}
"""Other names of Lightning's precisions, read as Lightning's (a record always holds Lightning's name)."""


class TrainingConfig(BaseModel):
    """Training hyperparameters; defaults per baseline, overridable with ``--config key=value``.

    optimizer (``adam`` or ``sgd``), learning_rate, momentum (SGD only), weight_decay (L2), batch_size
    (windows), max_epochs, patience (epochs without a better validation loss before early stopping),
    gradient_clip (maximum gradient norm, or ``None``), precision (Lightning's: ``32-true`` float32,
    ``bf16-mixed`` or ``16-mixed`` autocast; ``16-mixed`` needs CUDA; evaluation uses the same; ``fp32``
    and ``fp16-mixed`` are read as ``32-true`` and ``16-mixed``, :data:`PRECISION_ALIASES`). Baselines
    subclass it to add their own fields.
    Rates, decay and clipping must be finite: ``learning_rate=inf`` or ``nan`` is refused before any work.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    optimizer: Literal["adam", "sgd"] = "adam"
    learning_rate: float = Field(1e-3, gt=0, allow_inf_nan=False)
    momentum: float = Field(0.9, ge=0, lt=1)
    weight_decay: float = Field(0.0, ge=0, allow_inf_nan=False)
    batch_size: int = Field(64, gt=0)
    max_epochs: int = Field(40, ge=0)
    patience: int = Field(8, ge=1)
    gradient_clip: float | None = Field(None, gt=0, allow_inf_nan=False)
    precision: Literal["32-true", "bf16-mixed", "16-mixed"] = "32-true"

    @field_validator("precision", mode="before")
    @classmethod
    def _lightning_name(cls, value: object) -> object:
        """``fp32`` -> ``32-true``, ``fp16-mixed`` -> ``16-mixed``; other values unchanged."""
        return PRECISION_ALIASES.get(value, value) if isinstance(value, str) else value
