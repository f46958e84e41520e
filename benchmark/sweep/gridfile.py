"""Reading a sweep's grid from a TOML file (``irbench sweep --grid sweep.toml``).

Every key mirrors a command-line option, and options given on the command line win over the file. Relative
paths in the file are relative to the file's folder. Example::

    tasks = ["irmas", "openmic"]            # --task
    baselines = ["vgg", "cnn14"]            # --baseline
    seeds = "0-2"                           # --seed: a list of integers, or "0,1,2" / "0-2"
    max_epochs = 40                         # --max-epochs
    device = "auto"                         # --device
    results_dir = "results"                 # --results-dir
    executor = "slurm"                      # --executor; also jobs, group_seeds, time, max_requeues

    [data_home]                             # --data-home TASK=DIR
    irmas = "/data/irmas"
    openmic = "/data/openmic"

    [config]                                # --config key=value (every baseline)
    batch_size = 32
    [config.cnn14]                          # --config cnn14:key=value (one baseline)
    checkpoint = "/models/Cnn14_mAP=0.431.pth"

    [vary]                                  # --vary key=v1,v2: each combination one configuration
    learning_rate = [1e-3, 1e-4]

    [slurm]                                 # --partition, --time, --gpus, --cpus, --mem-gb, ...
    partition = "gpu"
    time = "4:00:00"
    gpus = 1
    array_parallelism = 16

Every value read from the file is checked; an unknown key or a value of the wrong type is an error naming the
file and the key.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from irbench.errors import ConfigError
from irbench.sweep.spec import GridValues
from pydantic import BaseModel, ConfigDict, ValidationError

Scalar = str | int | float | bool


class GridFile(BaseModel):
    """The keys a grid file may hold (anything else is refused)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    tasks: list[str] | str | None = None
    baselines: list[str] | str | None = None
    seeds: list[int] | str | int | None = None
    data_home: dict[str, str] | str | None = None
    config: dict[str, Scalar | dict[str, Scalar]] | None = None
    vary: dict[str, list[Scalar] | Scalar] | None = None
    frontend: dict[str, str] | str | None = None
    max_epochs: int | None = None
    threads: int | None = None
    device: str | None = None
    results_dir: str | None = None
    cache_dir: str | None = None
    workers: int | None = None
    skip_bad: bool | None = None
    executor: str | None = None
    jobs: int | None = None
    group_seeds: bool | None = None
    time: str | int | None = None
    max_requeues: int | None = None
    slurm: dict[str, Any] | None = None


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as error:
            raise ConfigError(f"{path}: reading a TOML grid file needs Python 3.11+ or `pip install tomli`") from error
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as error:
        raise ConfigError(f"grid file {path} does not exist") from error
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not a readable TOML file ({error})") from error


def read_grid_file(path: Path) -> GridValues:
    """The settings of the grid file at ``path`` as :class:`GridValues` (paths made absolute from the file's
    folder).

    Raises ``ConfigError`` naming the file for a missing or malformed file, an unknown key or a value of the
    wrong type."""
    path = Path(path).expanduser()
    try:
        grid = GridFile.model_validate(_load_toml(path))
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"{path}: {problems}") from error
    folder = path.resolve().parent

    def where(value: str | None) -> Path | None:
        if value is None:
            return None
        candidate = Path(value).expanduser()
        return candidate if candidate.is_absolute() else folder / candidate

    homes = grid.data_home
    if isinstance(homes, dict):
        data_homes = [f"{task}={where(folder_)}" for task, folder_ in homes.items()]
    else:
        data_homes = [str(where(homes))] if homes else []
    executor = {key: value for key, value in (("name", grid.executor), ("jobs", grid.jobs),
                ("group_seeds", grid.group_seeds), ("time", grid.time), ("max_requeues", grid.max_requeues))
                if value is not None}
    return GridValues(
        tasks=_listed(grid.tasks), baselines=_listed(grid.baselines),
        seeds=_listed(grid.seeds), data_homes=data_homes,
        config=_config(grid.config or {}, path), vary=_vary(grid.vary or {}),
        frontend=_frontends(grid.frontend),
        max_epochs=grid.max_epochs, threads=grid.threads, device=grid.device, results_dir=where(grid.results_dir),
        cache_dir=where(grid.cache_dir), workers=grid.workers, skip_bad=grid.skip_bad, executor=executor,
        slurm=dict(grid.slurm or {}),
    )


def _listed(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(value: Scalar) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _config(table: dict[str, Any], path: Path) -> list[str]:
    overrides = []
    for key, value in table.items():
        if isinstance(value, dict):
            for inner, setting in value.items():
                if isinstance(setting, dict):
                    raise ConfigError(f"{path}: config.{key}.{inner}: expected a value, not a table")
                overrides.append(f"{key}:{inner}={_text(setting)}")
        else:
            overrides.append(f"{key}={_text(value)}")
    return overrides


def _vary(table: dict[str, Any]) -> dict[str, list[str]]:
    """A ``[vary]`` table as texts per setting (``1e-3`` -> ``"0.001"``; booleans as ``true``/``false``)."""
    def text(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    return {key: [text(v) for v in (values if isinstance(values, list) else [values])] for key, values in table.items()}


def _frontends(value: dict[str, str] | str | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [f"{baseline}:{name}" for baseline, name in value.items()]
