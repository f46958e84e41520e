"""``irbench.evaluate``: a run of ``irbench run`` from Python, returning its records as :class:`~irbench.store.results.Results`.

The same code as the command line (:func:`irbench.run.runner.run_seeds`) prepares the data once, trains and
evaluates each seed and writes the same records, predictions and checkpoints to the same places
(``<results_dir>/<task>/<baseline>/<configuration>/seed-<n>.json``); only the record's
``provenance.executor`` (``{"name": "api"}``) and ``provenance.command`` say where it came from. The model may
be a registered baseline or a ``Baseline`` subclass defined anywhere (a script, a notebook, a module of one's
own); its record says where its class lives (``config.baseline.python_class``, ``module:qualname``), so
``irbench predict`` can import it again when that module is importable.
"""

from __future__ import annotations

import numbers
import os
import sys
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from irbench.errors import ConfigError, DatasetLayoutError
from irbench.run.configuration import DEFAULT_THREADS

if TYPE_CHECKING:
    from irbench.baselines.base import Baseline
    from irbench.store.results import Results
    from irbench.task import Task

__all__ = ["evaluate"]
DEFAULT_CACHE_DIR = ".cache/irbench"
"""The feature cache when neither ``cache_dir`` nor ``IRBENCH_CACHE_DIR`` names one (as ``irbench run``)."""


def evaluate(
    model: str | Baseline | type[Baseline], task: str | Task, data_home: str | os.PathLike,
    seeds: int | Iterable[int] = (0,), results_dir: str | os.PathLike = "results",
    cache_dir: str | os.PathLike | None = None, device: str = "auto", max_epochs: int | None = None,
    config: Mapping[str, Any] | Iterable[str] | None = None, overwrite: bool = False, *,
    workers: int | None = None, progress: bool = False, threads: int = DEFAULT_THREADS,
) -> Results:
    """Train and evaluate ``model`` on ``task`` for each seed, as ``irbench run`` does; returns the records.

    Parameters
    ----------
    model: a registered baseline name (``"vgg"``), a ``Baseline`` instance, or a ``Baseline`` subclass
        (built with no arguments). An unregistered model must declare ``name`` (lower-case letters, digits,
        ``.``, ``_``, ``-``; not a registered baseline's name), ``description``, ``source``, ``input_frames``
        and, when it reads features, ``frontend_name`` and ``frontend_config``.
    task: a registered task name (``"irmas"``) or a ``Task`` instance.
    data_home: the dataset's folder (a real download or a stand-in from ``irbench data synth``).
    seeds: one seed or several (each 0 .. 2**32-1; repeats are run once), in the order given.
    results_dir: where the records go (``<task>/<baseline>/<configuration>/seed-<n>.json``).
    cache_dir: the feature cache; ``None``: ``$IRBENCH_CACHE_DIR``, else ``.cache/irbench``.
    device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (a named device is part of the configuration).
    max_epochs: overrides the baseline's epochs (``--max-epochs``).
    threads: CPU threads of training and evaluation (``--threads``; default 2 on every machine, part of the
        configuration: CPU results depend on it).
    config: training overrides, ``{"learning_rate": 1e-4}`` or ``["learning_rate=1e-4"]`` (``--config``);
        values are given to the baseline's ``TrainingConfig`` as text, as on the command line.
    overwrite: replace existing records of these seeds; otherwise an existing record is kept, returned and
        warned about (nothing is trained for it).
    workers: feature-extraction processes (default: as ``irbench run``).
    progress: show progress bars (off by default). Notes (resuming, one line per epoch) go to the
        ``irbench`` logger (:mod:`irbench.logs`): ``logging.basicConfig(level=logging.INFO)`` shows them.

    Returns
    -------
    :class:`~irbench.store.results.Results` holding one record per seed, in seed order as given.

    Raises
    ------
    ConfigError: the model is not a baseline, declares too little, is named unsafely or after another
        registered baseline, or a ``config`` value cannot be written as ``key=value``; an override is invalid.
    UnknownNameError: an unknown baseline or task name (nearest names suggested).
    DataNotFoundError, DatasetLayoutError, AudioDecodeError: bad input, named in the message (an existing
        record that cannot be read is a ``DatasetLayoutError``; ``overwrite=True`` replaces it).
    TrainingDivergedError, OutputError, RecordLockedError: as ``irbench run``.
    """
    from irbench.run.determinism import prepare_determinism

    prepare_determinism()  # before torch touches CUDA
    from irbench.run.parallel import default_workers
    from irbench.store.records import read_record
    from irbench.store.results import Results
    from irbench.run.runner import RunOptions, run_seeds

    baseline = _baseline(model)
    chosen = [int(seeds)] if isinstance(seeds, numbers.Integral) else [int(s) for s in dict.fromkeys(seeds)]
    if not chosen:
        raise ConfigError("evaluate: no seed given (seeds=(0,) runs seed 0)")
    overrides = _overrides(config)
    task_name = task if isinstance(task, str) else task.metadata.name
    call = (f"irbench.evaluate({_describe(model, baseline)}, task={task_name!r}, data_home={str(data_home)!r}, "
            f"seeds={chosen}, device={device!r}, max_epochs={max_epochs!r}, config={overrides!r}, threads={threads})")
    options = RunOptions(
        task=task, baseline=baseline, data_home=Path(data_home).expanduser(),
        results_dir=Path(results_dir).expanduser(),
        cache_dir=Path(cache_dir if cache_dir is not None else os.environ.get("IRBENCH_CACHE_DIR", DEFAULT_CACHE_DIR)),
        seed=chosen[0], device=device, max_epochs=max_epochs, config=overrides, threads=threads,
        workers=workers if workers is not None else default_workers(), overwrite=overwrite,
        show_progress=progress, executor={"name": "api"}, command=f"{call} in {' '.join(sys.argv) or 'python'}",
    )
    found = []
    for outcome in run_seeds(options, chosen):
        if outcome.record is not None:
            found.append((outcome.record, outcome.path))
            continue
        kept = (outcome.kept or f"{outcome.path} already exists").replace("pass --overwrite", "pass overwrite=True")
        try:
            record = read_record(outcome.path)
        except DatasetLayoutError as error:
            raise DatasetLayoutError(outcome.path, f"{kept} ({error})") from error
        warnings.warn(f"kept: {kept}", UserWarning, stacklevel=2)
        found.append((record, outcome.path))
    return Results(found)


def _baseline(model: Any) -> Baseline:
    """``model`` as a ``Baseline`` ready to run: registered by name, or a user's instance (or class) checked
    as the registry checks a plugin. Raises ``ConfigError`` / ``UnknownNameError`` (see :func:`evaluate`)."""
    from irbench.baselines import BASELINES, check_baseline, get_baseline
    from irbench.baselines.base import Baseline
    from irbench.report.safety import is_safe_name

    if isinstance(model, str):
        return get_baseline(model)
    if isinstance(model, type) and issubclass(model, Baseline):
        problem = check_baseline(model)
        if problem is not None:
            raise ConfigError(f"model {model.__module__}:{model.__qualname__} {problem}")
        model = model()
    if not isinstance(model, Baseline):
        raise ConfigError(f"model must be a registered baseline name or a Baseline instance (a subclass of "
                          f"irbench.Baseline); got an instance of {type(model).__name__}")
    cls = type(model)
    where = f"{cls.__module__}:{cls.__qualname__}"
    problem = check_baseline(cls)
    if problem is not None:
        raise ConfigError(f"model {where} {problem}")
    if not is_safe_name(model.name):
        raise ConfigError(f"model {where} is named {model.name!r}; a baseline name is lower-case letters, "
                          "digits, '.', '_' and '-' (it names the records' folder)")
    if model.name in BASELINES and BASELINES.get(model.name) is not cls:
        registered = BASELINES.get(model.name)
        raise ConfigError(f"model {where} is named {model.name!r}, the name of the registered baseline "
                          f"{registered.__module__}:{registered.__qualname__}; give it a name of its own")
    if "<locals>" in cls.__qualname__ or cls.__module__ == "__main__":
        warnings.warn(
            f"model {where} is defined {'inside a function' if '<locals>' in cls.__qualname__ else 'in __main__'}: "
            "`irbench predict` in another process cannot import it to rebuild the model (this process can: "
            "irbench.predict.load_run(path, baseline=...)); define it in a module on PYTHONPATH for that",
            UserWarning, stacklevel=3)
    import copy

    return copy.copy(model)  # the run sets its cache folder (and may switch its front end) on the copy


def _overrides(config: Mapping[str, Any] | Iterable[str] | None) -> list[str]:
    """``config`` as ``key=value`` texts; raises ``ConfigError`` for a value that has no text form the
    command line would accept (only text, numbers and booleans do)."""
    if config is None:
        return []
    if isinstance(config, str):
        return [config]
    if not isinstance(config, Mapping):
        return [str(item) for item in config]
    out = []
    for key, value in config.items():
        if isinstance(value, bool):
            text = str(value).lower()
        elif isinstance(value, (int, float, str)):
            text = repr(value) if isinstance(value, float) else str(value)
        else:
            raise ConfigError(f"config[{key!r}] = {value!r}: a training override is text, a number or a boolean "
                              "(as --config key=value takes it)")
        out.append(f"{key}={text}")
    return out


def _describe(model: Any, baseline: Baseline) -> str:
    """How the call names the model: its registered name, or its class."""
    if isinstance(model, str):
        return repr(model)
    return f"{type(baseline).__module__}:{type(baseline).__qualname__}()"
