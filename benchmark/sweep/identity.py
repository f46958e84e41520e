"""A cell's planned configuration, and whether an existing record was made with it.

"Same configuration" is :mod:`irbench.run.configuration`'s (front end and its settings, window length, every
training setting after ``--config`` overrides and ``--max-epochs``, the pretrained weights' SHA-256, and the
device when one was asked for by name), plus the same task protocol version. The seed is the cell's own. Data
are not re-hashed to plan a sweep: each record keeps its dataset fingerprint, and the report shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from irbench.run.configuration import DEFAULT_THREADS, Configuration, of_record, planned
from irbench.errors import ConfigError
from irbench.store.records import RunRecord

@dataclass(frozen=True)
class PlannedConfig:
    """What a cell of ``task`` x ``baseline`` (x a ``--vary`` variant) will run with, for any seed.

    Attributes
    ----------
    task, baseline_name: registered names. task_version: the task's protocol version.
    configuration: the planned :class:`irbench.run.configuration.Configuration` (its digest, label and folder:
        the same definition the run, the report and the results table use).
    """

    task: str
    baseline_name: str
    task_version: str
    configuration: Configuration

    def digest(self) -> str:
        """The configuration's 12-hex-digit digest (failure records carry it)."""
        return self.configuration.digest

    def differences(self, record: RunRecord) -> list[str]:
        """What differs between ``record`` and this plan, one ``setting: recorded -> planned`` per item (empty
        when the record was made with this configuration)."""
        found = [] if record.task_version == self.task_version else \
            [f"task_version: {record.task_version} -> {self.task_version}"]
        if record.task != self.task or record.baseline != self.baseline_name:
            found.append(f"run: {record.task}/{record.baseline} -> {self.task}/{self.baseline_name}")
        return found + of_record(record).differences(self.configuration)


def planned_config(task: str, baseline: str, overrides: list[str], max_epochs: int | None,
                   frontend: str | None, device: str, cache_dir: Path | None = None,
                   threads: int = DEFAULT_THREADS) -> PlannedConfig:
    """The configuration every seed of ``task`` x ``baseline`` will run with (``cache_dir`` is where the
    baseline finds downloaded pretrained weights, whose SHA-256 is part of the configuration; ``threads`` the
    CPU thread count every cell runs with).

    Raises
    ------
    UnknownNameError: an unknown task, baseline or front end (with suggestions).
    ConfigError: an override the baseline refuses, a front end of another configuration type, or weights that
        cannot be read; the message names the baseline.
    """
    from irbench.baselines import get_baseline
    from irbench.run.overrides import apply_overrides
    from irbench.tasks import get_task

    metadata = get_task(task).metadata
    model = get_baseline(baseline)
    if cache_dir is not None:
        model.cache_dir = Path(cache_dir)
    try:
        if frontend:
            model.use_frontend(frontend)
        training = apply_overrides(model.training, overrides, max_epochs)
        configuration = planned(model, training, device, threads)
    except ConfigError as error:
        raise ConfigError(f"baseline {baseline}: {error}") from error
    return PlannedConfig(task=task, baseline_name=baseline, task_version=metadata.version,
                         configuration=configuration)
