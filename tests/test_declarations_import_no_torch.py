"""Reading the registered baselines' declarations imports no torch, Lightning, librosa, scipy or scikit-learn.

``irbench report`` labels every configuration from its baseline's declaration
(:func:`irbench.run.configuration.configuration` compares the record's settings with ``describe()`` and the
training defaults), and ``irbench list`` describes each baseline: before the networks moved to
:mod:`irbench.baselines.networks` and the front ends' configurations to :mod:`irbench.features.configs`,
that imported torch and Lightning, 6 of a report's 20 CPU-seconds. This test protects the start-up time of
both commands: a declaration module that imports a network or a front end at module level fails it.
"""

from __future__ import annotations

import subprocess
import sys

BASELINES = ("mlp", "vgg", "multistft-panns", "transformer", "cnn14", "constant")
HEAVY = ("torch", "lightning", "librosa", "sklearn", "scipy")

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
