"""Checking a baseline against the contract (after HEAR's validator): the checks ``irbench validate`` runs.

For each prediction type the baseline is built for 3 classes, fed a batch of windows made by its own front
end from noise, trained one step, and rebuilt under the same seed; every check says what it found. An
embedder (``hear:<module>`` or a registered name) gets :func:`validate_embedder`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from irbench.baselines import get_baseline
from irbench.baselines.base import Baseline, ModelSpec
from irbench.features import FRONTENDS
from irbench.task import PredictionType
from irbench.run.training import loss_function
from irbench.windowing.layouts import layout_windows
from pydantic import BaseModel

if TYPE_CHECKING:
    from irbench.embedders.validate import EmbedderCheck

N_CLASSES = 3
BATCH = 4


@dataclass
class Check:
    """One check: what was checked, whether it passed, and what was found."""

    name: str
    passed: bool
    detail: str = ""


def _contract(baseline: Baseline) -> list[Check]:
    checks = []
    for attribute, kind in (("name", str), ("description", str), ("source", str), ("input_frames", int),
                            ("training", BaseModel)):
        value = getattr(baseline, attribute, None)
        checks.append(Check(f"has {attribute}", isinstance(value, kind), f"{type(value).__name__}"))
    if baseline.frontend_name is None:
        checks.append(Check("reads no feature (no front end)", baseline.frontend_config is None, "frontend_name None"))
        return checks
    try:
        frontend = FRONTENDS.get(baseline.frontend_name)
        ok = isinstance(baseline.frontend_config, frontend.config_class)
        checks.append(Check("front end registered with a matching configuration", ok, baseline.frontend_name))
    except Exception as error:  # report, do not stop
        checks.append(Check("front end registered with a matching configuration", False, str(error)))
    return checks


def _batch(baseline: Baseline) -> torch.Tensor:
    """``(BATCH, n_features, input_frames)`` windows of the baseline's front end applied to noise (zeros of
    one feature row for a baseline that reads none)."""
    if baseline.frontend_name is None:
        return torch.zeros(BATCH, 1, baseline.input_frames)
    frontend = FRONTENDS.get(baseline.frontend_name)(baseline.frontend_config)
    seconds = 1.5 * baseline.input_frames / frontend.frames_per_second
    rng = np.random.default_rng(0)
    audio = torch.from_numpy((rng.standard_normal(int(seconds * frontend.sample_rate)) * 0.1).astype(np.float32))
    features = frontend(audio)
    features = features.numpy() if isinstance(features, torch.Tensor) else np.asarray(features)
    window = layout_windows(features, baseline.input_frames, frontend.pad_value)[0]
    return torch.from_numpy(np.stack([window * (1 + 0.1 * i) for i in range(BATCH)]))


def _spec(batch: torch.Tensor, prediction_type: PredictionType) -> ModelSpec:
    return ModelSpec(N_CLASSES, prediction_type, tuple(batch.shape[1:]), np.full(N_CLASSES, 1 / N_CLASSES),
                     batch.mean(dim=(0, 2)).numpy(), batch.std(dim=(0, 2)).numpy())


def _build(baseline: Baseline, spec: ModelSpec) -> torch.nn.Module:
    torch.manual_seed(0)
    return baseline.assemble(spec, baseline.training).module


def _per_type(baseline: Baseline, batch: torch.Tensor, prediction_type: PredictionType) -> list[Check]:
    label = prediction_type.value
    spec = _spec(batch, prediction_type)
    try:
        model = _build(baseline, spec).eval()
        with torch.no_grad():
            first = model(batch)
    except Exception as error:
        return [Check(f"{label}: builds and runs a forward pass", False, f"{type(error).__name__}: {error}")]
    checks = [Check(f"{label}: output shape (batch, classes)", tuple(first.shape) == (BATCH, N_CLASSES),
                    f"{tuple(first.shape)}"),
              Check(f"{label}: output is finite float", first.is_floating_point() and bool(torch.isfinite(first).all()),
                    str(first.dtype))]
    with torch.no_grad():
        again = _build(baseline, spec).eval()(batch)
    checks.append(Check(f"{label}: same seed, same output", torch.equal(first, again),
                        f"max difference {float((first - again).abs().max()):.3g}"))
    parameters = [p for p in model.parameters() if p.requires_grad]
    if not parameters:
        checks.append(Check(f"{label}: one training step", True, "no trainable parameters (nothing to train)"))
        return checks
    targets = torch.zeros(BATCH, N_CLASSES)
    targets[torch.arange(BATCH), torch.arange(BATCH) % N_CLASSES] = 1
    before = [p.detach().clone() for p in parameters]
    try:
        model.train()
        loss = loss_function(prediction_type)(model(batch), targets, torch.ones_like(targets))
        loss.backward()
        torch.optim.SGD(parameters, lr=1e-2).step()
        moved = any(not torch.equal(a, b.detach()) for a, b in zip(before, parameters))
        checks.append(Check(f"{label}: one training step changes the weights", bool(torch.isfinite(loss)) and moved,
                            f"loss {loss.item():.4f}"))
    except Exception as error:
        checks.append(Check(f"{label}: one training step", False, f"{type(error).__name__}: {error}"))
    return checks


def validate_baseline(name: str) -> list[Check]:
    """Run every check on the baseline registered as ``name``.

    Raises ``UnknownNameError`` for an unregistered name; any other failure is reported as a failed check.
    """
    baseline = get_baseline(name)
    checks = _contract(baseline)
    if not all(c.passed for c in checks):
        return checks
    try:
        batch = _batch(baseline)
    except Exception as error:
        return checks + [Check("front end turns audio into windows", False, f"{type(error).__name__}: {error}")]
    checks.append(Check("front end turns audio into windows", True, f"{tuple(batch.shape[1:])} per window"))
    for prediction_type in PredictionType:
        checks += _per_type(baseline, batch, prediction_type)
    return checks


def validate_task(name: str) -> list[Check]:
    """The task contract (:func:`irbench.contracts.check_task`) of the task registered as ``name``, as checks.

    Raises ``UnknownNameError`` for an unregistered name."""
    from irbench.contracts import check_task
    from irbench.tasks import get_task

    problems = check_task(get_task(name))
    if not problems:
        return [Check("metadata, protocol metrics, main score, per-class metrics and rescore", True, "")]
    return [Check(problem.check, False, problem.found) for problem in problems]


def validate_embedder(name: str, options: dict[str, str] | None = None) -> list[EmbedderCheck]:
    """The embedder checks (:mod:`irbench.embedders.validate`; ``hear:<module>`` first gets HEAR's own,
    :mod:`irbench.embedders.hear_checks`) of the embedder ``name`` built with ``options`` (``--config``:
    ``model_file``, ...), as a list of :class:`irbench.embedders.validate.EmbedderCheck`.

    Raises ``UnknownNameError`` for an unknown name or scheme and ``ConfigError`` for an option the embedder
    does not take; an embedder that cannot be built, or misbehaves, is a failed check."""
    from irbench.embedders import get_embedder
    from irbench.embedders.base import EmbedderError
    from irbench.embedders.hear_checks import validate_hear
    from irbench.embedders.validate import EmbedderCheck, run_embedder_checks

    options = dict(options or {})
    scheme, separator, target = name.partition(":")
    by_scheme = {"hear": validate_hear}
    if separator and scheme in by_scheme:
        return by_scheme[scheme](target, options)
    try:
        embedder = get_embedder(name, **options)
    except EmbedderError as error:
        return [EmbedderCheck("the embedder builds", False, str(error))]
    return run_embedder_checks(embedder)


def validate_tagger(name: str, options: dict[str, str] | None = None) -> list[EmbedderCheck]:
    """The tagger checks (:mod:`irbench.taggers.validate`: declarations and labels, scores' shape and range,
    the audio is used, determinism, batch independence) of the tagger ``name`` built with ``options``
    (``--config``: ``weights``, ``model_file``, ...), as :class:`irbench.embedders.validate.EmbedderCheck`.

    Raises ``UnknownNameError`` for an unknown name and ``ConfigError`` for an option the tagger does not
    take; a tagger that cannot be built, or misbehaves, is a failed check."""
    from irbench.embedders.validate import EmbedderCheck
    from irbench.taggers import TaggerError, get_tagger
    from irbench.taggers.validate import run_tagger_checks

    try:
        tagger = get_tagger(name, **dict(options or {}))
    except TaggerError as error:
        return [EmbedderCheck("the tagger builds", False, str(error))]
    return run_tagger_checks(tagger)
