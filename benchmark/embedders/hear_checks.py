"""``irbench validate hear:<module>``: what HEAR's ``hear-validator`` checks, then irbench's embedder checks.

Following ``hearvalidator/validate.py`` (hearbenchmark/hear-validator), on the module itself:

- it imports and has ``load_model``, ``get_timestamp_embeddings`` and ``get_scene_embeddings``;
- ``load_model(model_file)`` (or ``load_model()`` without a file) returns a ``torch.nn.Module`` (HEAR also
  takes a TensorFlow module; irbench's adapter runs PyTorch only);
- ``sample_rate`` is one of HEAR's rates, ``scene_embedding_size`` and ``timestamp_embedding_size`` are ints;
- ``get_timestamp_embeddings`` on 2 clips of uniform noise of 1.07, 1.98 and 4.0 s: float32 torch
  embeddings ``(2, n_timestamps, timestamp_embedding_size)``, timestamps ``(2, n_timestamps)`` at a regular
  hop (within 1 ms), none after the clip's end; notes (not failures, as in HEAR) for a hop above 50 ms, a
  first timestamp after one hop, and a last one more than one hop or 50 ms before the end;
- ``get_scene_embeddings`` on 4 clips of 2.74 s: float32 ``(4, scene_embedding_size)``.

Then the adapter (:class:`~irbench.embedders.hear.HearEmbedder`) goes through
:func:`irbench.embedders.validate.run_embedder_checks`: batch and padding independence, determinism,
coverage and the sample rate, none of which ``hear-validator`` checks.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from irbench.embedders.hear import HearApiError, HearEmbedder, import_hear_module
from irbench.embedders.validate import (
    EmbedderCheck,
    Outcome,
    run_check,
    run_embedder_checks,
    titled,
)

HEAR_SAMPLE_RATES = (16000, 22050, 32000, 44100, 48000)
"""Sample rates (Hz) the HEAR API accepts (hearbenchmark.com ``docs/hear-api.md``, ``hear-validator``)."""
API_FUNCTIONS = ("load_model", "get_timestamp_embeddings", "get_scene_embeddings")
TIMESTAMP_CLIPS = ((2, 1.07), (2, 1.98), (2, 4.0))
"""(clips, seconds) of ``hear-validator``'s timestamp-embedding calls."""
SCENE_CLIPS = (4, 2.74)


def _uniform(embedder: HearEmbedder, clips: int, seconds: float, seed: int) -> Any:
    """``(clips, int(seconds * rate))`` uniform noise in [-1, 1] (``hear-validator``'s test audio), seeded,
    as the torch tensor the module receives."""
    rng = np.random.default_rng(seed)
    audio = rng.uniform(-1.0, 1.0, (clips, int(seconds * embedder.sample_rate))).astype(np.float32)
    return embedder.to_model_input(audio)


def _call(embedder: HearEmbedder, function: str, audio: Any) -> Any:
    import torch

    with torch.no_grad():
        return getattr(embedder.module, function)(audio, embedder.model)


def _float32_tensor(value: Any, what: str) -> str | None:
    """What is wrong with ``value`` as a HEAR output: it must be a float32 torch tensor."""
    import torch

    if not isinstance(value, torch.Tensor):
        return f"{what} is a {type(value).__name__}, not a torch tensor"
    if value.dtype != torch.float32:
        return f"{what} are {value.dtype}, not torch.float32"
    return None


@titled("HEAR: the module imports and has the API functions")
def check_api(module: str) -> Outcome:
    """The module imports and has ``load_model``, ``get_timestamp_embeddings`` and ``get_scene_embeddings``."""
    imported = import_hear_module(module)
    missing = [name for name in API_FUNCTIONS if not callable(getattr(imported, name, None))]
    if missing:
        return Outcome(False, f"hear:{module} has no function {', '.join(missing)}")
    return Outcome(True, f"{imported.__name__}: {', '.join(API_FUNCTIONS)}")


@titled("HEAR: load_model returns a torch.nn.Module")
def check_model_type(embedder: HearEmbedder) -> Outcome:
    """``load_model`` returned a torch module (``hear-validator`` refuses anything but a torch or TF module)."""
    import torch

    kind = type(embedder.model).__name__
    file = f"load_model({str(embedder.model_file)!r})" if embedder.model_file else "load_model()"
    if not isinstance(embedder.model, torch.nn.Module):
        return Outcome(False, f"{file} returned a {kind}, not a torch.nn.Module")
    return Outcome(True, f"{file}: {kind} on {embedder.device}")


@titled("HEAR: sample_rate is one HEAR accepts")
def check_hear_rate(embedder: HearEmbedder) -> Outcome:
    """``model.sample_rate`` is one of :data:`HEAR_SAMPLE_RATES`."""
    rate = embedder.model.sample_rate
    accepted = ", ".join(map(str, HEAR_SAMPLE_RATES))
    return Outcome(rate in HEAR_SAMPLE_RATES, f"{rate!r} Hz (HEAR accepts {accepted})")


@titled("HEAR: scene_embedding_size, timestamp_embedding_size are ints")
def check_sizes(embedder: HearEmbedder) -> Outcome:
    """Both sizes exist and are Python ints, as ``hear-validator`` requires."""
    found = {name: getattr(embedder.model, name, "missing") for name in ("scene_embedding_size",
                                                                         "timestamp_embedding_size")}
    bad = [f"{name} is {value!r} ({type(value).__name__})" for name, value in found.items()
           if not isinstance(value, int) or isinstance(value, bool)]
    return Outcome(not bad, "; ".join(bad) or ", ".join(f"{name} {value}" for name, value in found.items()))


def _timestamp_problems(embedder: HearEmbedder, clips: int, seconds: float, seed: int) -> tuple[list, list, str]:
    """(problems, notes, shape) of one ``get_timestamp_embeddings`` call, by ``hear-validator``'s rules."""
    embeddings, timestamps = _call(embedder, "get_timestamp_embeddings", _uniform(embedder, clips, seconds, seed))
    problem = _float32_tensor(embeddings, "embeddings")
    if problem:
        return [problem], [], ""
    embeddings, timestamps = embeddings.detach().cpu().numpy(), np.asarray(timestamps.detach().cpu()
                                                                           if hasattr(timestamps, "detach")
                                                                           else timestamps)
    size = embedder.model.timestamp_embedding_size
    rules = [(embeddings.ndim == 3, f"embeddings have shape {embeddings.shape}, not 3 dimensions"),
             (timestamps.ndim == 2, f"timestamps have shape {timestamps.shape}, not 2 dimensions"),
             (embeddings.ndim < 1 or embeddings.shape[0] == clips, f"{clips} clips gave {embeddings.shape[:1]} rows"),
             (embeddings.shape[:2] == timestamps.shape,
              f"timestamps {timestamps.shape}, embeddings {embeddings.shape}"),
             (embeddings.ndim != 3 or embeddings.shape[2] == size,
              f"D = {embeddings.shape[-1]}, timestamp_embedding_size {size}")]
    problems = [text for ok, text in rules if not ok]
    notes: list[str] = []
    if problems or timestamps.shape[1] < 2:
        return problems, notes, str(embeddings.shape)
    steps = np.diff(timestamps)
    hop, duration = float(steps.mean()), 1000.0 * seconds
    deviation = float(np.abs(steps - hop).max())
    first, last = float(timestamps.min()), float(timestamps.max())
    problems += [text for ok, text in (
        (deviation <= 1.0, f"irregular timestamps: an interval deviates {deviation:.3g} ms (> 1 ms) from the mean"),
        (last <= duration, f"timestamps end at {last:.1f} ms, after the {duration:.0f} ms clip")) if not ok]
    notes += [text for ok, text in (
        (float(steps.max()) <= 50.0, f"hop {float(steps.max()):.1f} ms: HEAR suggests at most 50 ms"),
        (first <= hop, f"timestamps begin at {first:.1f} ms"),
        (last >= duration - hop and last >= duration - 50, f"{seconds} s clip: timestamps end at {last:.1f} ms")
    ) if not ok]
    return problems, notes, str(embeddings.shape)


@titled("HEAR: get_timestamp_embeddings (2 clips of 1.07, 1.98, 4 s)")
def check_timestamp_api(embedder: HearEmbedder) -> Outcome:
    """``hear-validator``'s timestamp-embedding checks on its three clip lengths."""
    problems, notes, shapes = [], [], []
    for seed, (clips, seconds) in enumerate(TIMESTAMP_CLIPS):
        found, advice, shape = _timestamp_problems(embedder, clips, seconds, seed)
        problems += [f"{seconds} s: {text}" for text in found]
        notes += [text for text in advice if text not in notes]
        shapes.append(shape)
    return Outcome(not problems, "; ".join(problems) or f"float32 embeddings {', '.join(shapes)}",
                   warning="; ".join(notes))


@titled("HEAR: get_scene_embeddings (4 clips of 2.74 s)")
def check_scene_api(embedder: HearEmbedder) -> Outcome:
    """float32 ``(4, scene_embedding_size)`` for ``hear-validator``'s 4 clips of 2.74 s."""
    clips, seconds = SCENE_CLIPS
    embeddings = _call(embedder, "get_scene_embeddings", _uniform(embedder, clips, seconds, 7))
    problem = _float32_tensor(embeddings, "scene embeddings")
    if problem:
        return Outcome(False, problem)
    shape = tuple(embeddings.shape)
    expected = (clips, getattr(embedder.model, "scene_embedding_size", None))
    return Outcome(shape == expected, f"float32 {shape}" + ("" if shape == expected else f", expected {expected}"))


HEAR_CHECKS = (check_model_type, check_hear_rate, check_sizes, check_timestamp_api, check_scene_api)
"""The checks on a loaded HEAR model, in ``hear-validator``'s order."""


def validate_hear(module: str, options: dict[str, Any] | None = None) -> list[EmbedderCheck]:
    """HEAR's checks on ``module``, then :func:`~irbench.embedders.validate.run_embedder_checks` on its
    adapter built with ``options`` (``model_file``, ``device``).

    Stops after the first of: the module does not import or lacks an API function; the adapter cannot be
    built (``load_model`` fails, an attribute is missing). Raises ``ConfigError`` for an unknown option and
    :class:`~irbench.embedders.hear.HearApiError` for a malformed module name (nothing is imported then).
    """
    from irbench.embedders import get_embedder
    from irbench.embedders.hear import check_module_name

    check_module_name(module)
    results = [run_check(check_api, module)]
    if not results[-1].passed:
        return results
    try:
        embedder = get_embedder(f"hear:{module}", **dict(options or {}))
    except HearApiError as error:
        return results + [EmbedderCheck("HEAR: load_model and the model's attributes", False, str(error))]
    results += [run_check(check, embedder) for check in HEAR_CHECKS]
    return results + run_embedder_checks(embedder)
