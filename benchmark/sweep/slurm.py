"""The ``slurm`` executor: one Slurm job array through ``submitit.AutoExecutor``.

One array task per cell (or per task x baseline with ``--group-seeds``), at most ``array_parallelism``
running at once (``#SBATCH --array=0-N%P``). Each task gets one node, one task, ``gpus`` GPUs (1 by default,
0 with ``--device cpu``), the time limit, and submitit's ``SIGUSR2`` ``signal_delay_s`` seconds before it:
the job then checkpoints, requeues itself (``scontrol requeue``, at most ``max_requeues`` times after time
limits) and resumes from its last completed epoch. submitit's files and every job's logs live in
``RESULTS/.submitit/<job id>/``; the launcher waits and collects the jobs with its own loop over ``squeue``
and ``sacct`` (:mod:`irbench.sweep.watch`; ``--no-wait`` returns after submitting; ``--status`` follows
them). A refused submission is one line with sbatch's reason, and leaves
nothing in ``RESULTS/.submitit/``; the request is checked against the partition's limits first.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
from typing import Any

from irbench.errors import ConfigError
from irbench.sweep import claims
from irbench.sweep.executors import SweepExecutor, parse_minutes
from irbench.sweep.submitit_logs import quiet_repeats
from irbench.sweep.job import JobSpec, SweepJob
from irbench.sweep.progress import ProgressView
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_TIME = "4:00:00"
JOB_NAME = "irbench-sweep"
POLL_VARIABLE = "IRBENCH_SLURM_POLL_S"  # seconds between looks at the queue (default 10)
GRACE_VARIABLE = "IRBENCH_SLURM_GRACE_S"  # seconds a job that ended may still show its result (default 30)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_OPTION_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")


class SlurmSettings(BaseModel):
    """Slurm settings: from ``--partition``, ``--time``, ``--gpus``, ``--cpus``, ``--mem-gb``,
    ``--array-parallelism``, ``--signal-delay``, ``--slurm KEY=VALUE`` or a grid file's ``[slurm]`` table.

    ``gpus`` ``None``: 1, or 0 with ``--device cpu``. ``cpus`` / ``mem_gb`` ``None``: the partition's defaults
    (features are extracted with as many processes as the job has CPUs). ``gres`` replaces ``gpus`` (e.g.
    ``gpu:a100:1``). ``setup``: shell lines run before the job (``module load ...``). ``extra``: any other
    ``sbatch`` option by its long name (``mail-type = "END"``).
    """

    model_config = ConfigDict(extra="forbid")

    partition: str | None = None
    time: str | int = DEFAULT_TIME
    gpus: int | None = Field(None, ge=0)
    cpus: int | None = Field(None, ge=1)
    mem_gb: float | None = Field(None, gt=0)
    array_parallelism: int = Field(256, ge=1)
    signal_delay_s: int = Field(90, ge=0)
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    exclude: str | None = None
    gres: str | None = None
    setup: list[str] = Field(default_factory=list)
    extra: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_line_each(self) -> SlurmSettings:
        """Every value reaches the generated sbatch script: no control character (a newline in ``comment``
        would start a shell line of its own on the compute node), and ``extra`` keys are option names."""
        texts = {name: getattr(self, name) for name in type(self).model_fields if isinstance(getattr(self, name), str)}
        texts.update({f"setup[{i}]": line for i, line in enumerate(self.setup)})
        texts.update({f"extra.{key}": value for key, value in self.extra.items() if isinstance(value, str)})
        for where, text in texts.items():
            if _CONTROL.search(text):
                raise ValueError(f"{where}: control characters (newline, tab, ...) are not allowed in a Slurm "
                                 f"setting: {text[:40]!r}")
        for key in self.extra:
            if not _OPTION_NAME.fullmatch(key):
                raise ValueError(f"extra: {key[:40]!r} is not an sbatch option name (letters, digits, - and _)")
        return self

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> SlurmSettings:
        """Settings from names and values (``--slurm KEY=VALUE`` strings are parsed by pydantic; a key that is
        not a setting goes to ``extra``, i.e. straight to ``sbatch``).

        Raises ``ConfigError`` naming the setting for a value of the wrong type or range, or a time limit
        no longer than the signal delay."""
        if not isinstance(values.get("extra", {}), dict):
            raise ConfigError("slurm settings: extra: expected a table of sbatch options and values")
        known = {key.replace("-", "_"): value for key, value in values.items()
                 if key.replace("-", "_") in cls.model_fields and key != "extra"}
        extra = {**values.get("extra", {}), **{key: value for key, value in values.items()
                                               if key.replace("-", "_") not in cls.model_fields}}
        try:
            settings = cls.model_validate({**known, "extra": extra})
        except ValidationError as error:
            problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
            raise ConfigError(f"slurm settings: {problems}") from error
        if settings.signal_delay_s >= settings.minutes() * 60:
            raise ConfigError(f"--signal-delay {settings.signal_delay_s} s is not shorter than the time limit "
                              f"({settings.minutes()} min): the job would be signalled at once")
        return settings

    def minutes(self) -> int:
        """The time limit in whole minutes (raises ``ConfigError`` for a bad ``time``)."""
        return parse_minutes(self.time, "--time (or the grid file's time)")

    def submitit_parameters(self, device: str) -> dict[str, Any]:
        """``AutoExecutor.update_parameters`` keyword arguments for these settings."""
        gpus = self.gpus if self.gpus is not None else (0 if device == "cpu" else 1)
        parameters: dict[str, Any] = {
            "name": JOB_NAME, "timeout_min": self.minutes(), "nodes": 1, "tasks_per_node": 1,
            "slurm_array_parallelism": self.array_parallelism, "slurm_signal_delay_s": self.signal_delay_s,
        }
        if self.gres:
            parameters["slurm_gres"] = self.gres
        elif gpus:
            parameters["gpus_per_node"] = gpus
        if self.cpus:
            parameters["cpus_per_task"] = self.cpus
        if self.mem_gb:
            parameters["mem_gb"] = self.mem_gb
        for name in ("partition", "account", "qos", "constraint", "exclude"):
            if getattr(self, name):
                parameters[f"slurm_{name}"] = getattr(self, name)
        if self.setup:
            parameters["slurm_setup"] = list(self.setup)
        if self.extra:
            parameters["slurm_additional_parameters"] = {key.replace("_", "-"): value
                                                         for key, value in self.extra.items()}
        return parameters


class SlurmSweepExecutor(SweepExecutor):
    """Submits the jobs as one Slurm array and collects them (registered as ``slurm``)."""

    name = "slurm"

    def __init__(self, settings, results_dir, device):
        super().__init__(settings, results_dir, device)
        given = {**settings.slurm, **({"time": settings.time} if settings.time else {})}
        self.slurm = SlurmSettings.from_values(given)

    def check(self) -> None:
        """``sbatch`` and ``srun`` must be on ``PATH`` (submitit needs both), and the requested time, GPUs, CPUs
        and memory must fit the partition (:func:`irbench.sweep.limits.check_limits`; skipped, with a note,
        without ``scontrol``); raises ``ConfigError`` naming the limit."""
        from irbench.sweep.limits import check_limits

        missing = [tool for tool in ("sbatch", "srun") if shutil.which(tool) is None]
        if missing:
            raise ConfigError(f"--executor slurm needs Slurm's {' and '.join(missing)} on PATH (run the sweep on "
                              "a cluster's login node), or use --executor local or inline")
        self.notes = check_limits(self.slurm, self.device)

    def parallelism(self) -> int:
        """The array's parallelism (the estimate ignores queueing)."""
        return self.slurm.array_parallelism

    def describe(self) -> str:
        """``slurm, partition gpu, 240 min, 1 GPU per job, 16 at once``."""
        parameters = self.slurm.submitit_parameters(self.device)
        gpus = self.slurm.gres or f"{parameters.get('gpus_per_node', 0)} GPU"
        partition = f"partition {self.slurm.partition}, " if self.slurm.partition else ""
        return (f"slurm, {partition}{self.slurm.minutes()} min, {gpus} per job, {self.slurm.array_parallelism} "
                f"at once, logs in {self.folder}")

    def _executor(self):
        import submitit

        executor = submitit.AutoExecutor(folder=self.folder / "%j", cluster="slurm",
                                         slurm_max_num_timeout=self.settings.max_requeues)
        try:
            executor.update_parameters(**self.slurm.submitit_parameters(self.device))
        except (ValueError, NameError, AssertionError) as error:  # submitit checks names and types
            raise ConfigError(f"slurm settings refused by submitit: {error}") from error
        return executor

    def _submit(self, jobs: list[JobSpec]) -> list:
        """Submit ``jobs`` as one array; on a refusal remove what submitit left in the folder and raise
        ``ConfigError`` with sbatch's own words."""
        from irbench.sweep.scheduler import one_line

        executor = self._executor()
        before = set(self.folder.iterdir()) if self.folder.is_dir() else None
        said = io.StringIO()
        try:  # submitit prints sbatch's error itself before raising it: keep it for the one-line message
            with contextlib.redirect_stderr(said), contextlib.redirect_stdout(said):
                return executor.map_array(SweepJob(), jobs)
        except (RuntimeError, OSError) as error:  # FailedJobError (sbatch exited non-zero), FailedSubmissionError
            self._remove_new(before)
            reason = one_line(str(error)) or one_line(said.getvalue()) or type(error).__name__
            raise ConfigError(f"sbatch refused the sweep's job array: {reason}") from error

    def _remove_new(self, before: set | None) -> None:
        """Remove the pickles and submission files a refused submission left in the folder."""
        if not self.folder.is_dir():
            return
        for entry in set(self.folder.iterdir()) - (before or set()):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
        if before is None:
            try:
                self.folder.rmdir()
            except OSError:
                pass

    def run(self, jobs: list[JobSpec], progress: ProgressView) -> None:
        """Submit ``jobs`` as one array (``map_array``), mark their cells queued, and unless ``--no-wait``
        follow them until each has ended (:func:`irbench.sweep.watch.watch`).

        Raises ``ConfigError`` with sbatch's reason when it refuses the array (nothing is left behind)."""
        from irbench.sweep.watch import watch

        quiet_repeats()
        for note in getattr(self, "notes", []):
            progress.show(f"note: {note}")
        submitted = self._submit(jobs)
        for job, spec in zip(submitted, jobs):
            for cell in spec.cells:
                claims.write_marker(self.results_dir, cell, "queued", self.name, str(job.job_id),
                                    str(job.paths.stderr))
        first = str(submitted[0].job_id) if submitted else "-"
        what = f"{len(jobs)} jobs as Slurm array {first.split('_')[0]}" if len(jobs) > 1 else \
            f"1 job as Slurm job {first}"
        progress.show(f"[sweep] submitted {what}; logs in {self.folder}/")
        if not self.settings.wait:
            return
        progress.active = "queued or running"
        progress.started([cell for spec in jobs for cell in spec.cells])
        poll = os.environ.get(POLL_VARIABLE)  # tests and impatient users; squeue is asked once per poll
        grace = os.environ.get(GRACE_VARIABLE)  # tests: the results folder is local, no NFS delay to wait out
        watch(list(zip(submitted, jobs)), progress, float(poll) if poll else max(self.settings.poll_s, 10.0),
              **({"grace_s": float(grace)} if grace else {}))
