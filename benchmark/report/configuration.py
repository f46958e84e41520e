"""A leaderboard row is a baseline plus its full configuration: runs with different settings never pool.

The configuration is everything in a record's ``config`` except ``device`` (the baseline's description:
front end and its settings, input frames, notes such as the checkpoint that initialised it; and every
training setting). CPU and GPU seeds of one configuration pool; each run's provenance names its device.
Rows of one baseline with several configurations are labelled by the settings in which they differ,
``vgg (max_epochs=5)``; a baseline with one configuration keeps its plain name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

NOT_IN_IDENTITY = frozenset({"device"})
"""Top-level ``config`` keys that do not make a configuration different."""
MISSING = "unset"
_VALUE_LIMIT = 48


def identity(config: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a record's ``config`` that defines its configuration (all but :data:`NOT_IN_IDENTITY`)."""
    return {key: value for key, value in config.items() if key not in NOT_IN_IDENTITY}


def canonical(config: Mapping[str, Any]) -> str:
    """The identity as canonical JSON (sorted keys): equal configurations give equal strings."""
    return json.dumps(identity(config), sort_keys=True, separators=(",", ":"), default=str)


def digest(config: Mapping[str, Any]) -> str:
    """A stable 8-hex-digit SHA-256 digest of the configuration (for CSV columns and page anchors)."""
    return hashlib.sha256(canonical(config).encode("utf-8")).hexdigest()[:8]


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dictionaries as ``{"training.max_epochs": 40, ...}``; lists and scalars are leaves, empty
    dictionaries vanish (``notes: {}`` and no notes are the same)."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def format_value(value: Any) -> str:
    """A setting's value as a short text: ``5``, ``0.001``, ``none``, ``[1, 2]``; long texts are cut."""
    if value is None:
        text = "none"
    elif isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _VALUE_LIMIT else text[: _VALUE_LIMIT - 1] + "…"


def differing_settings(configs: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """For the configurations of one baseline, the settings in which each differs from the others.

    Parameters
    ----------
    configs: the distinct configurations (record ``config`` dictionaries) of one baseline.

    Returns
    -------
    One ``{setting: value}`` per configuration, same order; empty dictionaries when there is only one.
    A setting is named by its last key (``max_epochs``) unless two differing settings share it, then by
    its dotted path (``baseline.frontend_config.n_mels``). A setting one configuration lacks reads
    ``unset``.
    """
    if len(configs) < 2:
        return [{} for _ in configs]
    flat = [flatten(identity(c)) for c in configs]
    keys = sorted({k for f in flat for k in f})
    differ = [k for k in keys if len({json.dumps(f.get(k, MISSING), sort_keys=True, default=str) for f in flat}) > 1]
    short = [k.rsplit(".", 1)[-1] for k in differ]
    names = [s if short.count(s) == 1 else k for k, s in zip(differ, short)]
    return [{name: format_value(f[k]) if k in f else MISSING for name, k in zip(names, differ)} for f in flat]
