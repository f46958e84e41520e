"""The ``local`` executor: a bounded queue of submitit ``LocalExecutor`` jobs on this machine.

submitit's ``LocalExecutor`` starts every job it is given at once and stops a job after a 2-minute default
time limit; this executor submits at most ``--jobs`` at a time and sets the limit (``--time``, default a
week). Each job is pinned to one GPU through ``CUDA_VISIBLE_DEVICES`` (GPUs are handed out in turn when
``--jobs`` exceeds them); without a GPU, or with ``--device cpu``, jobs see none and ``--jobs`` defaults to 1
(CPU jobs share the cores). Logs go to ``RESULTS/.submitit/<job id>/``. A job sent submitit's preemption
signal (``SIGUSR2``, also sent ``--signal-delay`` seconds before its time limit) is checkpointed and
restarted by submitit's controller, and resumes from its last completed epoch.
"""

from __future__ import annotations

import os
import time
from collections import deque

from irbench.errors import ConfigError
from irbench.sweep.executors import SweepExecutor, collect, parse_minutes
from irbench.sweep.submitit_logs import quiet_repeats
from irbench.sweep.job import JobSpec, SweepJob
from irbench.sweep.progress import ProgressView, plural

DEFAULT_TIME_MIN = 7 * 24 * 60
SIGNAL_DELAY_S = 90


def visible_gpus() -> list[int]:
    """Indices of the GPUs this process may use: ``CUDA_VISIBLE_DEVICES`` if set, else every GPU torch sees.

    Raises ``ConfigError`` when ``CUDA_VISIBLE_DEVICES`` names GPUs by UUID (jobs are pinned by index)."""
    listed = os.environ.get("CUDA_VISIBLE_DEVICES")
    if listed is not None:
        entries = [entry.strip() for entry in listed.split(",") if entry.strip()]
        if not all(entry.isdigit() for entry in entries):
            raise ConfigError(f"CUDA_VISIBLE_DEVICES={listed!r} names GPUs other than by index; --executor local "
                              "pins each job to a GPU by index: list indices (e.g. 0,1)")
        return [int(entry) for entry in entries]
    import torch

    return list(range(torch.cuda.device_count()))


class LocalSweepExecutor(SweepExecutor):
    """Runs jobs as local processes through submitit, at most ``jobs`` at once (registered as ``local``)."""

    name = "local"

    def __init__(self, settings, results_dir, device):
        super().__init__(settings, results_dir, device)
        self._gpus: list[int] | None = None

    def gpus(self) -> list[int]:
        """The GPUs jobs are pinned to (none with ``--device cpu``)."""
        if self._gpus is None:
            self._gpus = [] if self.device == "cpu" else visible_gpus()
        return self._gpus

    def parallelism(self) -> int:
        """``--jobs``, else one per GPU, else 1."""
        return self.settings.jobs or max(1, len(self.gpus()))

    def check(self) -> None:
        """``--jobs`` >= 1, a valid ``--time``, and a GPU when ``--device cuda``; raises ``ConfigError``."""
        if self.settings.jobs is not None and self.settings.jobs < 1:
            raise ConfigError(f"--jobs {self.settings.jobs}: expected at least 1")
        parse_minutes(self.settings.time or DEFAULT_TIME_MIN)
        if self.device == "cuda" and not self.gpus():
            raise ConfigError("--device cuda was given but no GPU is visible; use --device cpu or auto")

    def describe(self) -> str:
        """``local, 2 jobs at once (GPUs 0, 1)``."""
        gpus = self.gpus()
        pinned = f" (GPUs {', '.join(map(str, gpus))})" if gpus else " (CPU)"
        return f"local, {plural(self.parallelism(), 'job')} at once{pinned}, logs in {self.folder}"

    def _slots(self) -> deque:
        gpus = self.gpus()
        return deque(gpus[i % len(gpus)] if gpus else None for i in range(self.parallelism()))

    def run(self, jobs: list[JobSpec], progress: ProgressView) -> None:
        """Submit jobs as slots free up, pinning each to its slot's GPU, and collect them as they end."""
        import submitit

        quiet_repeats()
        executor = submitit.LocalExecutor(folder=self.folder / "%j", max_num_timeout=self.settings.max_requeues)
        executor.update_parameters(timeout_min=parse_minutes(self.settings.time or DEFAULT_TIME_MIN),
                                   signal_delay_s=SIGNAL_DELAY_S)
        waiting, slots, running = deque(jobs), self._slots(), []
        try:
            while waiting or running:
                while waiting and slots:
                    slot, spec = slots.popleft(), waiting.popleft()
                    pinned = {"gpus_per_node": 1, "visible_gpus": (slot,)} if slot is not None else {
                        "gpus_per_node": 0, "visible_gpus": ()}
                    executor.update_parameters(**pinned)
                    job = executor.submit(SweepJob(), spec)  # starts now; the job writes its own markers
                    progress.started(spec.cells)
                    running.append((job, spec, slot))
                for entry in [entry for entry in running if entry[0].done()]:
                    running.remove(entry)
                    slots.append(entry[2])
                    collect(entry[0], entry[1], progress.finished)
                if running:
                    time.sleep(self.settings.poll_s)
        except BaseException:  # Ctrl-C or an error here: stop the jobs this sweep started
            for job, _, _ in running:
                job.cancel(check=False)
            raise
        finally:
            try:  # submitit's local controller creates the folder pattern itself, literally
                (self.folder / "%j").rmdir()
            except OSError:
                pass
