"""irbench: the benchmark harness and leaderboard for musical instrument recognition.

The package is one namespace; its folders follow the pipeline, data -> features -> windows -> train ->
evaluate -> record -> report:

- ``irbench.data``: dataset cards, download, verification, splits, audio decoding, pretrained weights;
- ``irbench.synth``: the offline stand-ins, rendered in each dataset's layout;
- ``irbench.features``: front ends (log-mel, multi-STFT, MFCC, ...) and the verified feature cache;
- ``irbench.windowing``: where model windows lie in each clip, and their index;
- ``irbench.run``: preparing a run, the configuration identity, training, provenance, the runner;
- ``irbench.evaluation``: protocols, aggregation, thresholds, metrics and their registry, bootstrap engines;
- ``irbench.store``: run records (the one reader), predictions files, atomic writes, ``Results``;
- ``irbench.report``: leaderboards in HTML, Markdown, LaTeX and CSV;
- ``irbench.sweep``: the task x baseline x seed x configuration grid, inline, local or on Slurm;
- ``irbench.cli``: the command line, a thin layer over the above;
- ``irbench.tasks`` (datasets with their official splits and protocols) and ``irbench.baselines`` (models
  registered by name); at the root the contracts a plugin meets (``irbench.task``, ``irbench.registry``,
  ``irbench.contracts``), ``irbench.api`` (``evaluate``), ``irbench.predict`` and errors and logging.

Importing it touches neither the network nor the disk.

The public API (``docs/api.md``)::

    import irbench
    results = irbench.evaluate("vgg", task="irmas", data_home="data/irmas", seeds=(0, 1), max_epochs=10)
    irbench.load_results("results").to_dataframe(level="mean")

:func:`evaluate`, :func:`load_results`, :class:`Results`, :class:`Baseline`, :class:`Embedder`, :class:`TrainingConfig`,
:class:`Task` and :class:`RunRecord` are imported on first use (torch only when a model is built or run), so
``import irbench`` stays cheap.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (type checkers read the name)

__version__ = "0.1.0"

__all__ = ["Baseline", "Embedder", "Results", "RunRecord", "Task", "TrainingConfig", "__version__", "evaluate", "load_results"]

_EXPORTS = {
    "evaluate": "irbench.api",
    "load_results": "irbench.store.results",
    "Results": "irbench.store.results",
    "Baseline": "irbench.baselines.base",
    "Embedder": "irbench.embedders.base",
    "TrainingConfig": "irbench.run.training_config",
    "Task": "irbench.task",
    "RunRecord": "irbench.store.records",
}
"""Public name -> the module that defines it, imported when the name is first used."""

if TYPE_CHECKING:
    from irbench.api import evaluate
    from irbench.baselines.base import Baseline
    from irbench.embedders.base import Embedder
    from irbench.store.records import RunRecord
    from irbench.store.results import Results, load_results
    from irbench.task import Task
    from irbench.run.training_config import TrainingConfig


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
