"""Reading the registered baselines' declarations, and the registered tasks' metadata, imports no torch,
Lightning, librosa, scipy, scikit-learn or mir_eval.

``irbench report`` labels every configuration from its baseline's declaration
(:func:`irbench.run.configuration.configuration` compares the record's settings with ``describe()`` and the
training defaults), and ``irbench list`` describes each baseline: before the networks moved to
:mod:`irbench.baselines.networks` and the front ends' configurations to :mod:`irbench.features.configs`,
that imported torch and Lightning, 6 of a report's 20 CPU-seconds. This test protects the start-up time of
both commands: a declaration module that imports a network or a front end at module level fails it.
The report also titles each task from its metadata (:func:`irbench.report.task_info.task_info`), which imports
the task modules: MusicNet's imported mir_eval, and with it scipy.stats, 1-2 CPU-seconds of the report.
"""

from __future__ import annotations

import subprocess
import sys

BASELINES = ("mlp", "vgg", "multistft-panns", "transformer", "cnn14", "constant")
HEAVY = ("torch", "lightning", "librosa", "sklearn", "scipy", "mir_eval")

CODE = f"""
import sys

from irbench.baselines import get_baseline
from irbench.run.configuration import configuration

for name in {BASELINES!r}:
    baseline = get_baseline(name)
    baseline.describe()
    baseline.training.model_dump()
vgg = get_baseline("vgg")
label = configuration("vgg", vgg.describe(), vgg.training.model_dump()).label
assert label == "default", label
print(sorted(module for module in {HEAVY!r} if module in sys.modules))
"""


def test_declarations_and_labels_import_no_torch():
    """In a fresh interpreter: every registered baseline's ``describe()`` and training defaults, and a default
    configuration's label, leave torch, Lightning, librosa, scikit-learn and scipy unimported."""
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"reading the declarations imported {done.stdout.strip()}"


TASK_CODE = f"""
import sys

import irbench.report.html
import irbench.report.paired
from irbench.report.task_info import task_info
from irbench.tasks import TASKS

names = list(TASKS.names())
assert {{"irmas", "openmic", "medley-solos", "musicnet"}} <= set(names), names
for name in names:
    assert task_info(name).description, name
print(sorted(module for module in {HEAVY!r} if module in sys.modules))
"""


def test_task_metadata_and_report_modules_import_no_heavy_library():
    """In a fresh interpreter: the report's modules and every registered task's display facts leave torch,
    Lightning, librosa, scikit-learn, scipy and mir_eval unimported."""
    done = subprocess.run([sys.executable, "-c", TASK_CODE], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"reading the task metadata imported {done.stdout.strip()}"
