"""irbench: the benchmark harness and leaderboard for musical instrument recognition.

The package is one namespace: ``irbench`` (the harness core: features, training, evaluation, run records,
reports, stand-in data), ``irbench.tasks`` (datasets with their official splits and protocols) and
``irbench.baselines`` (models registered by name). Importing it touches neither the network nor the disk.

The public API (``docs/api.md``)::

    import irbench
    results = irbench.evaluate("vgg", task="irmas", data_home="data/irmas", seeds=(0, 1), max_epochs=10)
    irbench.load_results("results").to_dataframe(level="mean")

:func:`evaluate`, :func:`load_results`, :class:`Results`, :class:`Baseline`, :class:`TrainingConfig`,
:class:`Task` and :class:`RunRecord` are imported on first use (``irbench.Baseline`` imports torch), so
``import irbench`` stays cheap.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (type checkers read the name)

__version__ = "0.1.0"

__all__ = ["Baseline", "Results", "RunRecord", "Task", "TrainingConfig", "__version__", "evaluate", "load_results"]

_EXPORTS = {
    "evaluate": "irbench.api",
    "load_results": "irbench.results",
    "Results": "irbench.results",
    "Baseline": "irbench.baselines.base",
    "TrainingConfig": "irbench.training_config",
    "Task": "irbench.task",
    "RunRecord": "irbench.records",
}
"""Public name -> the module that defines it, imported when the name is first used."""

if TYPE_CHECKING:
    from irbench.api import evaluate
    from irbench.baselines.base import Baseline
    from irbench.records import RunRecord
    from irbench.results import Results, load_results
    from irbench.task import Task
    from irbench.training_config import TrainingConfig


def __getattr__(name: str):
    """Import a public name's module on first use (PEP 562); raises ``AttributeError`` for other names."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'irbench' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
