"""A cell's planned configuration, and whether an existing record was made with it.

"Same configuration" means: the same task protocol version, the same baseline identity (name, front end and
its configuration, input length in frames), the same training settings after ``--config`` overrides and
``--max-epochs`` (every field of the baseline's ``TrainingConfig``), and the same device when one was asked
for explicitly (``--device cpu|cuda``; ``auto`` accepts either). The seed is the cell's own. Data are not
re-hashed to plan a sweep: each record keeps its dataset fingerprint, and the report shows it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from irbench.errors import ConfigError
from irbench.records import RunRecord

BASELINE_IDENTITY = ("name", "frontend", "frontend_config", "input_frames")


def _plain(value: Any) -> Any:
    """``value`` as a JSON round trip would give it back (tuples as lists, paths as strings)."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


@dataclass(frozen=True)
class PlannedConfig:
    """What a cell of ``task`` x ``baseline`` will run with (any seed).

    Attributes
    ----------
    task_version: the task's protocol version.
    baseline: ``{name, frontend, frontend_config, input_frames}`` of the baseline as a record stores it.
    training: every training setting (``TrainingConfig.model_dump()`` after overrides), JSON-plain.
    device: ``cpu`` or ``cuda`` when asked for explicitly, else ``None``.
    """

    task: str
    baseline_name: str
    task_version: str
    baseline: dict[str, Any]
    training: dict[str, Any]
    device: str | None = None

    def digest(self) -> str:
        """A 12-hex-digit SHA-256 of the configuration (failure records carry it)."""
        content = {"task": self.task, "task_version": self.task_version, "baseline": self.baseline,
                   "training": self.training, "device": self.device}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:12]

    def differences(self, record: RunRecord) -> list[str]:
        """What differs between ``record`` and this plan, one ``setting: recorded -> planned`` per item (empty
        when the record was made with this configuration)."""
        recorded_baseline = record.config.baseline.model_dump()
        recorded = {
            "task": record.task, "task_version": record.task_version, "baseline": record.baseline,
            **{f"baseline.{key}": _plain(recorded_baseline.get(key)) for key in BASELINE_IDENTITY if key != "name"},
            **{f"training.{key}": value for key, value in _plain(record.config.training).items()},
        }
        planned = {
            "task": self.task, "task_version": self.task_version, "baseline": self.baseline_name,
            **{f"baseline.{key}": self.baseline.get(key) for key in BASELINE_IDENTITY if key != "name"},
            **{f"training.{key}": value for key, value in self.training.items()},
        }
        if self.device is not None:
            recorded["device"], planned["device"] = record.config.device, self.device
        missing = object()
        return [f"{key}: {_short(recorded.get(key, missing))} -> {_short(planned.get(key, missing))}"
                for key in sorted(set(recorded) | set(planned))
                if recorded.get(key, missing) != planned.get(key, missing)]


def _short(value: Any) -> str:
    if not isinstance(value, (str, int, float, bool, list, dict, type(None))):
        return "(absent)"
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def planned_config(task: str, baseline: str, overrides: list[str], max_epochs: int | None,
                   frontend: str | None, device: str) -> PlannedConfig:
    """The configuration every seed of ``task`` x ``baseline`` will run with.

    Raises
    ------
    UnknownNameError: an unknown task, baseline or front end (with suggestions).
    ConfigError: an override the baseline refuses, or a front end of another configuration type; the
        message names the baseline.
    """
    from irbench.baselines import get_baseline
    from irbench.overrides import apply_overrides
    from irbench.tasks import get_task

    metadata = get_task(task).metadata
    model = get_baseline(baseline)
    try:
        if frontend:
            model.use_frontend(frontend)
        training = apply_overrides(model.training, overrides, max_epochs)
    except ConfigError as error:
        raise ConfigError(f"baseline {baseline}: {error}") from error
    described = model.describe()
    return PlannedConfig(
        task=task, baseline_name=baseline, task_version=metadata.version,
        baseline=_plain({key: described[key] for key in BASELINE_IDENTITY}), training=_plain(training.model_dump()),
        device=device if device in ("cpu", "cuda") else None,
    )
