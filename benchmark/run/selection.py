"""Choosing training settings on the validation split: one model per grid point, the lowest validation loss
kept (probe-v1's learning rate; :meth:`irbench.baselines.base.Baseline.selection_grid`).

Every grid point is built and trained from the run's seed, in its own work folder (``trial-<i>``), so an
interrupted run resumes each trial where it stopped and the choice is the same as in an uninterrupted run.
Ties go to the earlier grid point. The test split plays no part: only ``FitResult.best_validation_loss``
decides. A run without validation windows cannot choose and is refused.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from irbench.errors import ConfigError

SELECTION_CRITERION = "lowest validation loss"
LOG = logging.getLogger(__name__)


@dataclass
class Selected:
    """The chosen trial: its ``built`` model (a :class:`~irbench.baselines.base.BuiltModel`, holding the best
    weights), its ``result`` (``FitResult``), and ``summary``, what the record notes: criterion, grid, every
    trial's values with its best validation loss and epochs, and the chosen values (``{}`` without a grid)."""

    built: Any
    result: Any
    summary: dict[str, Any] = field(default_factory=dict)


def grid_points(grid: dict[str, list]) -> list[dict[str, Any]]:
    """Every combination of ``grid``'s values, in order (the last key varies fastest); ``[{}]`` for ``{}``.

    Raises ``ConfigError`` for a key with no values."""
    empty = [key for key, values in grid.items() if not list(values)]
    if empty:
        raise ConfigError(f"the selection grid has no value for {', '.join(empty)}")
    keys = list(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(list(grid[k]) for k in keys))]


def fit_selected(config: Any, grid: dict[str, list], work_dir: Path,
                 train_one: Callable[[Any, Path], tuple[Any, Any]], has_validation: bool) -> Selected:
    """Train ``config`` with each grid point's values in place and keep the trial of lowest validation loss.

    Parameters
    ----------
    config: the run's training configuration (a frozen pydantic model).
    grid: setting -> values to try (``{}``: train ``config`` once, in ``work_dir`` itself).
    work_dir: the run's work folder; trial ``i`` trains in ``work_dir / f"trial-{i}"``.
    train_one: ``(trial_config, trial_work_dir) -> (built, fit_result)``, building from the run's seed.
    has_validation: whether the task has validation windows (without them nothing can be chosen).

    Raises
    ------
    ConfigError: a grid without validation windows, a grid key that is no setting of ``config``, a value
        the setting refuses.
    """
    if not grid:
        built, result = train_one(config, work_dir)
        return Selected(built, result)
    if not has_validation:
        raise ConfigError("choosing settings on validation needs validation windows; this task has none")
    unknown = sorted(set(grid) - set(type(config).model_fields))
    if unknown:
        raise ConfigError(f"the selection grid names {', '.join(unknown)}, which the training configuration "
                          "does not have")
    trials, best = [], None
    points = grid_points(grid)
    for index, values in enumerate(points):
        LOG.info("trial %d/%d on validation: %s", index + 1, len(points), _values(values))
        trial_config = config.model_copy(update=values)
        type(config).model_validate(trial_config.model_dump())  # a grid value must pass the field's checks
        built, result = train_one(trial_config, Path(work_dir) / f"trial-{index}")
        loss = result.best_validation_loss
        trials.append({"values": values, "best_validation_loss": loss, "best_epoch": result.best_epoch,
                       "epochs": result.epochs, "stopped_early": result.stopped_early})
        if best is None or (loss is not None and (best[2] is None or loss < best[2])):
            best = (built, result, loss, values)  # the first trial stands until a lower loss is seen
    LOG.info("chosen on validation (%s): %s", SELECTION_CRITERION, _values(best[3]))
    summary = {"criterion": SELECTION_CRITERION, "grid": {k: list(v) for k, v in grid.items()},
               "trials": trials, "chosen": best[3]}
    return Selected(best[0], best[1], summary)


def _values(values: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}"
                     for key, value in values.items())
