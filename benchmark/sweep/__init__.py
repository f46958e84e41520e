"""``irbench sweep``: a leaderboard's whole grid (tasks x baselines x seeds) on one machine or a Slurm
cluster, with submitit as the engine.

One cell is one ``irbench run`` of one task x baseline x seed on one device. A sweep

1. validates everything before it runs anything (:mod:`~irbench.sweep.spec`, :mod:`~irbench.sweep.gridfile`):
   names, seeds, one existing data folder per task, every ``--config`` override against every baseline;
2. reads each cell's state from the results folder (:mod:`~irbench.sweep.state`): done (a record with the
   planned configuration, :mod:`~irbench.sweep.identity`), running or queued (:mod:`~irbench.sweep.claims`),
   failed (a failure record, :mod:`~irbench.sweep.failures`), interrupted, in conflict, or missing;
3. plans (:mod:`~irbench.sweep.plan`): runs missing and interrupted cells, skips done ones, reports failed and
   conflicting ones (``--retry-failed``, ``--overwrite``);
4. runs the jobs with an executor (:mod:`~irbench.sweep.executors`: ``inline``, ``local``, ``slurm``); every
   job is a :class:`~irbench.sweep.job.SweepJob`, a submitit ``Checkpointable`` that resumes after
   preemption; a failed cell leaves a failure record and the sweep goes on;
5. shows progress (:mod:`~irbench.sweep.progress`): done / total, running, failed, time left.

Records land where ``irbench run`` puts them, so ``irbench report --results-dir RESULTS`` shows the whole
leaderboard; each record's ``provenance.executor`` names the executor, host, submitit job id and Slurm ids.
"""

from irbench.sweep.cells import Cell
from irbench.sweep.executors import EXECUTORS, ExecutorSettings
from irbench.sweep.launch import Sweep, SweepResult
from irbench.sweep.spec import GridValues, SweepSpec

__all__ = ["EXECUTORS", "Cell", "ExecutorSettings", "GridValues", "Sweep", "SweepResult", "SweepSpec"]
