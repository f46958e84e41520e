"""``probe:<embedder>``: the probe-v1 protocol, a frozen embedding model judged by a small probe trained on it.

probe-v1, the same on every task (so embedders are compared like with like):

- **Embeddings** of every audio file from the embedder (``hear:<module>``, ``cnn14``, a plugin), computed
  once and cached like features (:mod:`irbench.features.embedding`; keyed by the embedder's name, version,
  weights SHA-256 and options), at the embedder's own sample rate (soxr resampling). Every probe seed and
  every learning rate reads the same cached embeddings.
- **Windows** of ``window_seconds`` (3 s) placed by the task's own layout; the task's protocol aggregates
  window scores to clips, exactly as for the supervised baselines.
- **Pooling** over each window's frames: ``mean`` (default) or ``mean+max`` (concatenated, ``2 D``).
- **Standardisation** with the mean and standard deviation of the training windows' frames only.
- **Probe**: ``linear`` (one linear layer, default) or ``mlp`` (one hidden layer of 512 ReLU units, dropout
  0.1), Adam, batch 64, at most 100 epochs with early stopping on validation loss (patience 10).
- **Learning rate** from a fixed grid, ``(3.2e-3, 1e-3, 3.2e-4, 1e-4)`` (HEAR 2021's grid, Turian et al.,
  PMLR 176, 2022), chosen by the lowest validation loss: the test split is never looked at. Each grid point is
  trained from the run's seed; the record's ``config.baseline.notes.selection`` lists every trial and the
  choice.

Differences from the protocols it follows: HEAR 2021 trains an MLP probe (1024 units, 1-2 layers) and also
chooses initialisation and depth; MARBLE's constrained track uses one 512-unit MLP and 6 learning rates; EVAR
a linear probe on standardised features. probe-v1 takes one fixed, small grid so a run costs four short
probe trainings on cached embeddings. Windows past a clip's end (Medley-solos-DB's 2.97-s clips against 3-s
windows) are padded with zeros before standardisation: at a 50-ms hop that is 1 frame of 60.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import Field
from torch import nn

from irbench.baselines.base import Baseline, BuiltModel, ModelSpec, TrainingConfig
from irbench.errors import ConfigError

PREFIX = "probe:"
PROTOCOL = "probe-v1"
LEARNING_RATES = (3.2e-3, 1e-3, 3.2e-4, 1e-4)
HIDDEN_UNITS = 512
DEFAULT_WINDOW_SECONDS = 3.0


@dataclass(frozen=True)
class DatasetFeatures:
    """Embeddings a dataset ships (read, not computed): the front end that reads them, the tasks that have
    them, their window (s: the whole clip) and what the record says about them."""

    frontend: str
    tasks: tuple[str, ...]
    window_seconds: float
    description: dict[str, Any]


DATASET_FEATURES = {
    "openmic-vggish": DatasetFeatures(
        "openmic-vggish", ("openmic",), 9.6,
        {"name": "openmic-vggish", "version": "OpenMIC-2018 1.0 vggish/ (AudioSet VGGish, uint8)",
         "sample_rate": 16_000, "embedding_size": 128, "weights_sha256": None}),
}
"""``probe:<name>`` of features a dataset ships: OpenMIC-2018's VGGish (Humphrey et al., ISMIR 2018), whose
official baseline is a random forest on their time average (not provided here: probe-v1's probes only)."""


def model_options(options: dict[str, str], factory: Any, cache_dir: Any) -> dict[str, str]:
    """``options`` without empty values, plus ``cache_dir`` (the run's cache folder, where downloaded weights
    live) when ``factory`` (a registered embedder or tagger class; ``None`` for a ``hear:`` module) takes it."""
    options = {key: value for key, value in options.items() if value}
    if factory is not None and cache_dir is not None and "cache_dir" in inspect.signature(factory).parameters:
        options["cache_dir"] = str(cache_dir)
    return options


def model_device(requested: str, run_device: str) -> str:
    """Where a pretrained embedder or tagger runs: ``requested`` by name, or for ``run`` the run's device
    when it is CUDA (``cuda``, ``cuda:1``) and ``cpu`` otherwise (an MPS or other device keeps the model on
    the CPU, where every built-in model is tested)."""
    if requested != "run":
        return requested
    return run_device if str(run_device).startswith("cuda") else "cpu"


def identity_options(options: dict[str, str], built: Any) -> dict[str, str]:
    """The options that identify a built embedder or tagger in its front end's configuration (the feature
    cache key): ``options`` without ``cache_dir`` (where the cache is says nothing about the model), plus the
    weights file it found there (``built.model_file``), whose SHA-256 the configuration also holds."""
    stored = {key: value for key, value in options.items() if key != "cache_dir"}
    resolved = getattr(built, "model_file", None)
    if "cache_dir" in options and resolved and "model_file" not in stored:
        stored["model_file"] = str(resolved)
    return stored


class ProbeConfig(TrainingConfig):
    """probe-v1's settings (every one recorded and part of the configuration).

    pooling: ``mean`` or ``mean+max`` over a window's frames. probe: ``linear``, ``mlp``, or ``random-forest``
    (OpenMIC-2018's official baseline model, :mod:`irbench.baselines.forest`: one forest per class of
    ``n_estimators`` trees of depth ``max_depth`` on time-averaged features; no learning-rate grid).
    learning_rates: the grid chosen from on validation (``learning_rate`` itself is unused). window_seconds:
    the window the embeddings are pooled over (s; ``None``: 3 s, or the whole clip for a dataset's own
    features). model_file: passed to the embedder (a HEAR module's
    ``load_model`` argument, a Cnn14 checkpoint). weights: ``pretrained`` or ``random`` for embedders that take
    it (``""``: the embedder's default). embedder_device: where the embedder runs: ``run`` (the default) is the run's
    device when it is CUDA, else ``cpu``; or a torch device by name. The resolved device is in the front end's
    options, so embeddings computed on a GPU are cached apart from CPU ones (their last digits differ).
    """

    pooling: Literal["mean", "mean+max"] = "mean"
    probe: Literal["linear", "mlp", "random-forest"] = "linear"
    n_estimators: int = Field(100, ge=1, le=1000)
    max_depth: int = Field(8, ge=1, le=12)
    learning_rates: tuple[float, ...] = Field(LEARNING_RATES, min_length=1)
    window_seconds: float | None = Field(None, gt=0, le=60, allow_inf_nan=False)
    model_file: str = ""
    weights: str = ""
    embedder_device: str = "run"


class ProbeNet(nn.Module):
    """Embedding windows ``(batch, D, frames)`` -> logits ``(batch, n_classes)``: standardised with the training
    statistics (buffers, so a checkpoint carries them), pooled over frames, then a linear layer or a
    512-unit MLP."""

    def __init__(self, n_features: int, n_classes: int, mean: np.ndarray, std: np.ndarray, pooling: str,
                 probe: str):
        super().__init__()
        self.pooling = pooling
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).reshape(n_features, 1))
        self.register_buffer("std", torch.as_tensor(np.maximum(std, 1e-8), dtype=torch.float32)
                             .reshape(n_features, 1))
        width = n_features * (2 if pooling == "mean+max" else 1)
        self.head = nn.Linear(width, n_classes) if probe == "linear" else nn.Sequential(
            nn.Linear(width, HIDDEN_UNITS), nn.ReLU(), nn.Dropout(0.1), nn.Linear(HIDDEN_UNITS, n_classes))

    def forward(self, windows: torch.Tensor) -> torch.Tensor:
        """``(batch, D, frames)`` -> ``(batch, n_classes)``."""
        z = (windows - self.mean) / self.std
        pooled = z.mean(dim=-1)
        if self.pooling == "mean+max":
            pooled = torch.cat([pooled, z.amax(dim=-1)], dim=-1)
        return self.head(pooled)


class ProbeBaseline(Baseline):
    """``probe:<embedder>`` (see the module docstring): built per embedder name, configured once the run's
    settings are known (:meth:`configure` builds the embedder to read its version, weights, rate and hop).

    Raises ``UnknownNameError`` (unknown embedder) or ``EmbedderError`` (it cannot be built) from
    :meth:`configure`."""

    description = "probe-v1: linear or MLP probe on a frozen embedder's pooled embeddings"
    source = "irbench probe-v1 (after HEAR 2021, Turian et al. 2022; MARBLE; EVAR)"
    frontend_name: ClassVar[str | None] = "embedding"
    input_frames: int = 1
    training = ProbeConfig(max_epochs=100, patience=10)

    def __init__(self, embedder: str):
        from irbench.embedders import is_embedder_name

        if embedder not in DATASET_FEATURES and (not embedder or not is_embedder_name(embedder)):
            raise ConfigError(f"{PREFIX}{embedder}: {embedder!r} names no embedder (hear:<python.module>, "
                              f"one of `irbench list embedders`, or {', '.join(DATASET_FEATURES)})")
        self.embedder_name = embedder
        self.name = f"{PREFIX}{embedder}"
        self.frontend_config = None
        self._configured_for: tuple | None = None
        self._embedder_description: dict[str, Any] = {}

    def options(self, config: ProbeConfig) -> dict[str, str]:
        """The embedder's keyword options from ``config``: ``model_file``, ``weights`` (when set), ``device``,
        and ``cache_dir`` (the run's cache) for embedders that take one."""
        from irbench.embedders import EMBEDDERS

        options = {"model_file": config.model_file, "weights": config.weights,
                   "device": model_device(config.embedder_device, self.run_device)}
        factory = None if ":" in self.embedder_name else EMBEDDERS.get(self.embedder_name)
        return model_options(options, factory, self.cache_dir)

    def configure(self, config: ProbeConfig) -> None:
        """Build the embedder with ``config``'s options and fix the front end (name, version, weights, sample
        rate, measured hop) and the window (``window_seconds`` in frames) the run will use."""
        from irbench.embedders import get_embedder
        from irbench.features.embedding import EmbeddingConfig, measure_hop

        if self.embedder_name in DATASET_FEATURES:
            self._configure_dataset_features(config)
            return
        options = self.options(config)
        key = (tuple(sorted(options.items())), config.window_seconds)
        if self._configured_for == key:
            return
        embedder = get_embedder(self.embedder_name, **options)
        try:
            hop_length, first_ms = measure_hop(embedder)
        except ValueError as error:
            raise ConfigError(str(error)) from error
        stored = identity_options(options, embedder)
        self.frontend_config = EmbeddingConfig(
            embedder=self.embedder_name, options=stored, version=str(embedder.version),
            weights_sha256=embedder.weights_sha256, sample_rate=int(embedder.sample_rate),
            hop_length=hop_length, embedding_size=int(embedder.embedding_size),
            first_timestamp_ms=round(first_ms, 3))
        seconds = config.window_seconds or DEFAULT_WINDOW_SECONDS
        self.input_frames = max(1, round(seconds * embedder.sample_rate / hop_length))
        self._embedder_description = {key: value for key, value in embedder.describe().items()}
        self._configured_for = key

    def _configure_dataset_features(self, config: ProbeConfig) -> None:
        from irbench.features import FRONTENDS

        source = DATASET_FEATURES[self.embedder_name]
        if config.model_file or config.weights:
            raise ConfigError(f"{self.name} reads {source.tasks[0]}'s own features: model_file and weights do "
                              "not apply")
        self.frontend_name = source.frontend
        frontend = FRONTENDS.get(source.frontend)
        self.frontend_config = frontend.config_class()
        grid = frontend.grid(self.frontend_config)
        self.input_frames = max(1, round((config.window_seconds or source.window_seconds) * grid.frames_per_second))
        self._embedder_description = dict(source.description)

    def describe(self, notes: dict[str, Any] | None = None) -> dict[str, Any]:
        """:meth:`Baseline.describe`, configured with the defaults first if :meth:`configure` was not called."""
        if self.frontend_config is None:
            self.configure(self.training)
        return super().describe(notes)

    def selection_grid(self, config: ProbeConfig) -> dict[str, list]:
        """probe-v1 chooses ``learning_rate`` from ``config.learning_rates`` on validation loss (a random
        forest has none: ``{}``)."""
        return {} if config.probe == "random-forest" else {"learning_rate": list(config.learning_rates)}

    def fit_directly(self, built: BuiltModel, train, validation, config: ProbeConfig, seed: int):
        """Fit the random forests of ``probe=random-forest`` on the training windows' time averages (masked
        pairs left out); ``None`` for the gradient-trained probes."""
        if config.probe != "random-forest":
            return None
        import time

        from irbench.baselines.forest import fit_forests
        from irbench.run.training import FitResult

        start = time.perf_counter()
        pooled = np.concatenate([batch.mean(axis=-1) for batch in train.batches(1024)]) if len(train) else \
            np.zeros((0, built.module.feature.shape[0]))
        built.notes["forest"] = fit_forests(built.module, pooled, train.targets, train.mask, seed)
        return FitResult(0, None, None, False, time.perf_counter() - start, False, 0)

    def build(self, spec: ModelSpec, config: ProbeConfig) -> BuiltModel:
        """A :class:`ProbeNet` for ``spec`` (its feature statistics are the training windows'), noted with
        the protocol, the embedder, pooling and probe kind."""
        source = DATASET_FEATURES.get(self.embedder_name)
        if source is not None and spec.task and spec.task not in source.tasks:
            raise ConfigError(f"{self.name}: only {', '.join(source.tasks)} ships these features, not {spec.task}")
        if spec.feature_mean is None or spec.feature_std is None:
            raise ConfigError(f"{self.name}: the probe needs the training windows' feature statistics")
        n_features = spec.input_shape[0]
        if config.probe == "random-forest":
            from irbench.baselines.forest import ForestNet

            if config.pooling != "mean":
                raise ConfigError(f"{self.name}: probe=random-forest averages features over time (pooling=mean)")
            module = ForestNet(spec.n_classes, config.n_estimators, config.max_depth, spec.prediction_type)
        else:
            module = ProbeNet(n_features, spec.n_classes, spec.feature_mean, spec.feature_std, config.pooling,
                              config.probe)
        notes = {"track": PROTOCOL, "protocol": PROTOCOL, "embedder": dict(self._embedder_description),
                 "pooling": config.pooling, "probe": config.probe}
        return BuiltModel(module, notes)
