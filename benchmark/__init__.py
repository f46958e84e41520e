"""irbench: the benchmark harness and leaderboard for musical instrument recognition.

The package is one namespace: ``irbench`` (the harness core: features, training, evaluation, run records,
reports, stand-in data), ``irbench.tasks`` (datasets with their official splits and protocols) and
``irbench.baselines`` (models registered by name). Importing it touches neither the network nor the disk.
"""

__version__ = "0.1.0"
