"""A run's configuration: the one definition of "the same configuration", its digest, readable label and
folder. The run's work folder, the record's path, the sweep's done and conflict decisions, the report's rows
and the results DataFrame all use :class:`Configuration`.

A configuration is everything that can change a result besides the task and the seed:

- the baseline's identity: front end and its settings (sample rate in Hz, hop length in samples, mel bands,
  ...) and the window length in frames;
- every training setting after ``--config`` overrides and ``--max-epochs`` (the baseline's
  ``TrainingConfig``), except the ``checkpoint`` path, which machines spell differently, and settings newer
  than the records at their default (:data:`OMITTED_AT_DEFAULT`: ``precision=32-true``);
- the pretrained weights that initialised the model, by SHA-256 (``None`` when it trained from scratch), so
  a run from AudioSet weights and one from scratch are two configurations on every machine;
- the device, only when it was asked for by name (``--device cpu`` or ``cuda``); ``auto`` runs of one
  configuration pool whatever device they found, and each record's provenance names it;
- the CPU thread count training and evaluation ran with (``--threads``, default :data:`DEFAULT_THREADS`):
  CPU results depend on it (issue 21 saw one seed's micro-F1 move from 0.247 to 0.344 between 1 and 2
  threads), so it is
  fixed, never whatever the machine has, and two thread counts are two configurations.

The label names the settings that differ from the baseline's defaults (``max_epochs=10``,
``weights=cnn14-weights``), ``default`` when none does; the folder under
``<results>/<task>/<baseline>/`` is the label made safe for a file name plus 8 digits of the digest
(``default-3f2a9c1b``), so two configurations never share a folder and a changed default never lands in an
old one.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from irbench.baselines.base import Baseline
    from irbench.store.records import RunRecord

BASELINE_KEYS = ("frontend", "frontend_config", "input_frames")
"""Keys of a baseline's description that belong to the configuration (its name is the record's own field)."""
NOT_A_SETTING = frozenset({"checkpoint"})
"""Training settings left out: the checkpoint's path (its weights count by SHA-256 instead)."""
OMITTED_AT_DEFAULT = {"precision": "32-true"}
"""Training settings added after records existed, left out of the identity at these values (so a default run
keeps the digest, label and folder it had before the setting existed; any other value counts)."""
NAMED_DEVICES = ("cpu", "cuda")
DEFAULT_THREADS = 2
"""The intra-op thread count (``torch.set_num_threads``) of every run unless ``--threads`` says otherwise:
a fixed number, so the same seed gives the same digits on any machine with the same device whatever its
core count (a 1-core job runs 2 threads on its one core, slower but identical)."""
DEFAULT_LABEL = "default"
_FOLDER_CHARACTERS = re.compile(r"[^A-Za-z0-9._=+-]+")
_LABEL_LIMIT = 48


def plain(value: Any) -> Any:
    """``value`` as a JSON round trip gives it back (tuples as lists, paths as strings, keys as strings)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


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
    return text if len(text) <= _LABEL_LIMIT else text[: _LABEL_LIMIT - 1] + "…"


@dataclass(frozen=True)
class Configuration:
    """One configuration of one baseline (see the module docstring).

    Attributes
    ----------
    baseline: the registered baseline name.
    settings: the identity, JSON-plain: ``{"baseline": {frontend, frontend_config, input_frames},
        "training": {...}, "weights": sha256 or None, "device": "cpu" | "cuda" | None, "threads": int}``.
    changes: ``{setting: value}`` of the settings that differ from the baseline's defaults, in label order.
    """

    baseline: str
    settings: dict[str, Any]
    changes: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """12 hex digits of SHA-256 over the canonical JSON of ``settings`` (equal settings, equal digest)."""
        canonical = json.dumps(self.settings, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]

    @property
    def label(self) -> str:
        """``default``, or the changed settings: ``max_epochs=10, learning_rate=0.0001``."""
        return ", ".join(f"{k}={v}" for k, v in self.changes.items()) or DEFAULT_LABEL

    @property
    def folder(self) -> str:
        """The record folder's name: the label made safe (at most 48 characters) and 8 digest digits."""
        safe = _FOLDER_CHARACTERS.sub("_", self.label.replace(", ", "_")).strip("._") or "configuration"
        return f"{safe[:_LABEL_LIMIT]}-{self.digest[:8]}"

    def differences(self, other: Configuration) -> list[str]:
        """``setting: mine -> other`` for every setting in which ``other`` differs, sorted; empty when equal."""
        mine, theirs = flatten(self.settings), flatten(other.settings)
        missing = "(absent)"
        return [f"{key}: {format_value(mine.get(key, missing))} -> {format_value(theirs.get(key, missing))}"
                for key in sorted(set(mine) | set(theirs)) if mine.get(key, missing) != theirs.get(key, missing)]


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested settings as ``{"training.max_epochs": 40, ...}``; lists and scalars are leaves, an empty
    dictionary is one leaf (``notes: {}``)."""
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _changes(baseline: str, settings: dict[str, Any], weights_name: str | None) -> dict[str, str]:
    """The settings that differ from the registered baseline's defaults (none known for a baseline that is
    not registered here: then every setting is its own, and the label lists nothing but weights and device)."""
    from irbench.baselines import BASELINES, get_baseline

    changes: dict[str, str] = {}
    default = get_baseline(baseline) if baseline in BASELINES else None
    if default is not None:
        described = plain(default.describe())
        if settings["baseline"].get("frontend") != described.get("frontend"):
            changes["frontend"] = format_value(settings["baseline"].get("frontend"))
        elif settings["baseline"].get("frontend_config") != described.get("frontend_config"):
            changes["frontend_config"] = format_value(settings["baseline"].get("frontend_config"))
        if settings["baseline"].get("input_frames") != described.get("input_frames"):
            changes["input_frames"] = format_value(settings["baseline"].get("input_frames"))
        defaults = _training(plain(default.training.model_dump()))
        for key, value in settings["training"].items():
            if defaults.get(key, object()) != value:
                changes[key] = format_value(value)
    if settings.get("weights"):
        changes["weights"] = weights_name or settings["weights"][:8]
    if settings.get("device"):
        changes["device"] = settings["device"]
    if settings.get("threads") not in (None, DEFAULT_THREADS):
        changes["threads"] = str(settings["threads"])
    return changes


def _training(training: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in training.items() if key not in NOT_A_SETTING
            and (key not in OMITTED_AT_DEFAULT or value != OMITTED_AT_DEFAULT[key])}


def configuration(baseline: str, description: Mapping[str, Any], training: Mapping[str, Any],
                  requested_device: str | None = None, threads: int | None = DEFAULT_THREADS) -> Configuration:
    """The configuration of a run of ``baseline``.

    Parameters
    ----------
    baseline: registered baseline name.
    description: what ``Baseline.describe(notes)`` says (front end, its configuration, input frames, notes);
        the notes' ``weights_sha256`` and ``weights`` name the pretrained weights.
    training: the training settings after overrides (``TrainingConfig.model_dump()``).
    requested_device: the device as asked for (``auto``, ``cpu``, ``cuda``, ``cuda:1``; ``None`` = auto).
    threads: the CPU thread count of training and evaluation (``None``: unknown, in records older than it).
    """
    notes = description.get("notes") or {}
    device = (requested_device or "auto").split(":", 1)[0]
    settings = plain({
        "baseline": {key: description.get(key) for key in BASELINE_KEYS},
        "training": _training(training),
        "weights": notes.get("weights_sha256"),
        "device": device if device in NAMED_DEVICES else None,
        "threads": threads,
    })
    return Configuration(baseline, settings, _changes(baseline, settings, notes.get("weights")))


def planned(baseline: Baseline, training: Any, requested_device: str | None = None,
            threads: int = DEFAULT_THREADS) -> Configuration:
    """The configuration a run of ``baseline`` with ``training`` (its ``TrainingConfig``) will have, before any
    model is built: the pretrained weights come from :meth:`~irbench.baselines.base.Baseline.weights_notes`.

    Raises ``ConfigError`` when the baseline's weights cannot be read (see ``weights_notes``)."""
    return configuration(baseline.name, baseline.describe(baseline.weights_notes(training)), training.model_dump(),
                         requested_device, threads)


def of_record(record: RunRecord) -> Configuration:
    """The configuration a record was made with (a record without ``config.requested_device`` ran on
    ``auto``; one without ``config.threads`` with the thread count its provenance names)."""
    config = record.config
    threads = getattr(config, "threads", None) or record.provenance.torch_threads
    return configuration(record.baseline, config.baseline.model_dump(), config.training,
                         getattr(config, "requested_device", None), threads)


def existing_record(results_dir: Path, task: str, baseline: str, configuration: Configuration,
                    seed: int) -> Path | None:
    """The record of this task, baseline, configuration and seed, if one exists: at its path
    (``<task>/<baseline>/<configuration folder>/seed-<n>.json``), or at the legacy path when the record there
    was made with the same configuration; ``None`` otherwise (an unreadable legacy record counts as none)."""
    from irbench.store.records import legacy_record_path, read_record, record_path

    path = record_path(results_dir, task, baseline, configuration.folder, seed)
    if path.exists():
        return path
    legacy = legacy_record_path(results_dir, task, baseline, seed)
    if legacy.is_file():
        try:
            if of_record(read_record(legacy)).digest == configuration.digest:
                return legacy
        except Exception:  # an unreadable record is no record of this configuration
            return None
    return None
