"""The ``inline`` executor: every job in this process, one after another.

One job per task x baseline: its seeds share loading, hashing, features, window indexes and statistics
(the records list those stages in ``provenance.shared_stages``). Progress bars show unless ``--quiet``.
"""

from __future__ import annotations

from dataclasses import replace

from irbench.sweep.executors import SweepExecutor
from irbench.sweep.job import JobSpec, run_job
from irbench.sweep.progress import ProgressView


class InlineExecutor(SweepExecutor):
    """Runs jobs in this process (registered as ``inline``, the default)."""

    name = "inline"
    groups_seeds = True

    def check(self) -> None:
        """The device must exist here (``--device cuda`` needs a GPU); raises ``ConfigError``."""
        from irbench.run.training import resolve_device

        resolve_device(self.device)

    def run(self, jobs: list[JobSpec], progress: ProgressView) -> None:
        """Run each job in turn, reporting each cell as it ends.

        Ctrl-C or ``SIGTERM`` (the command line turns it into ``irbench.errors.Terminated``) stops the sweep
        where it is: the interruption, re-raised as its own kind, names the cell it stopped (``[sweep] stopped
        in irmas/vgg/seed-0: terminated (SIGTERM) at epoch 2 of 3; ...``); that cell's work folder is kept and
        the same sweep command resumes it."""
        for spec in jobs:
            progress.started(spec.cells)
            options = replace(spec.options, show_progress=self.settings.show_progress)
            ended: set = set()

            def finished(outcome, ended=ended) -> None:
                ended.add(outcome.cell)
                progress.finished(outcome)

            try:
                run_job(replace(spec, options=options), listener=finished, show=self._show(progress))
            except KeyboardInterrupt as error:
                cell = next((c for c in spec.cells if c not in ended), None)
                where = f" in {cell.label}" if cell is not None else ""
                message = str(error) or "interrupted; run the same command again to resume"
                raise type(error)(f"[sweep] stopped{where}: {message}") from error

    @staticmethod
    def _show(progress: ProgressView):
        """irbench's log messages as ``note:`` / ``warning:`` lines of the progress view."""
        return lambda message, level: progress.show(f"{'warning' if level >= 30 else 'note'}: {message}")
