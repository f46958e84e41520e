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
        """Run each job in turn, reporting each cell as it ends."""
        for spec in jobs:
            progress.started(spec.cells)
            options = replace(spec.options, show_progress=self.settings.show_progress)
            run_job(replace(spec, options=options), listener=progress.finished, show=self._show(progress))

    @staticmethod
    def _show(progress: ProgressView):
        """irbench's log messages as ``note:`` / ``warning:`` lines of the progress view."""
        return lambda message, level: progress.show(f"{'warning' if level >= 30 else 'note'}: {message}")
