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
import os
import stat
import sys
from pathlib import Path
from typing import Any

from irbench.errors import ConfigError
from irbench.sweep.spec import GridValues
from pydantic import BaseModel, ConfigDict, Field, ValidationError

Scalar = str | int | float | bool
MAX_BYTES = 1024 * 1024
"""Largest grid file read."""
MAX_DEPTH = 8
"""Deepest nesting of tables and arrays accepted in a grid file."""


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
    max_epochs: int | None = Field(None, ge=0)
    threads: int | None = Field(None, ge=1)
    device: str | None = None
    results_dir: str | None = None
    cache_dir: str | None = None
    workers: int | None = Field(None, ge=1)
    skip_bad: bool | None = None
    executor: str | None = None
    jobs: int | None = Field(None, ge=1)
    group_seeds: bool | None = None
    time: str | int | None = None
    max_requeues: int | None = Field(None, ge=0)
    slurm: dict[str, Any] | None = None


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        try:
            import tomli as tomllib
        except ImportError as error:
            raise ConfigError(f"{path}: reading a TOML grid file needs Python 3.11+ or `pip install tomli`") from error
    text = _read_regular(path)
    try:
        content = tomllib.loads(text)
    except RecursionError as error:
        raise ConfigError(f"{path}: arrays or tables nested too deeply to be a grid file") from error
    except (tomllib.TOMLDecodeError, ValueError) as error:
        raise ConfigError(f"{path}: not a readable TOML file ({error})") from error
    _check_depth(content, path)
    return content


def _read_regular(path: Path) -> str:
    """The text of the regular file at ``path``, at most :data:`MAX_BYTES`; a FIFO, device or folder is
    refused without reading (opened non-blocking, checked with ``fstat``)."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as error:
        raise ConfigError(f"grid file {path} does not exist") from error
    except OSError as error:
        raise ConfigError(f"{path}: the grid file cannot be opened ({error.strerror or error})") from error
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            kind = "a folder" if stat.S_ISDIR(status.st_mode) else "a FIFO" if stat.S_ISFIFO(status.st_mode) else \
                "not a regular file"
            raise ConfigError(f"--grid {path}: {kind}; a grid file is a regular TOML file")
        if status.st_size > MAX_BYTES:
            raise ConfigError(f"--grid {path}: {status.st_size} bytes is larger than a grid file can be "
                              f"({MAX_BYTES} bytes)")
        data = os.read(descriptor, MAX_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{path}: the grid file cannot be read ({error.strerror or error})") from error
    finally:
        os.close(descriptor)
    try:
        return data[:MAX_BYTES].decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not a readable TOML file (not UTF-8: {error})") from error


def _check_depth(content: Any, path: Path) -> None:
    """Refuse values nested deeper than :data:`MAX_DEPTH` (no key of a grid file needs more than three)."""
    stack = [(content, 0, "")]
    while stack:
        value, depth, where = stack.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(f"{path}: {where or 'the file'} is nested {MAX_DEPTH}+ levels deep; a grid file's "
                              "values are at most a table of lists")
        if isinstance(value, dict):
            stack += [(item, depth + 1, f"{where}.{key}" if where else str(key)) for key, item in value.items()]
        elif isinstance(value, list):
            stack += [(item, depth + 1, f"{where}[{i}]") for i, item in enumerate(value)]


def read_grid_file(path: Path) -> GridValues:
    """The settings of the grid file at ``path`` as :class:`GridValues` (paths made absolute from the file's
    folder).

    Raises ``ConfigError`` naming the file for a missing, non-regular (a FIFO), oversized, too deeply nested
    or malformed file, an unknown key, or a value of the wrong type or range (``jobs = 0``)."""
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
