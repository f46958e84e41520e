"""CPU results that do not depend on the machine's core count (issue 21.4): the thread count is fixed
(``--threads``, default 2), part of the configuration, and the same ``--threads`` gives the same record
whether the process may use one core or two."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers import record_file

from irbench.run.configuration import DEFAULT_THREADS, configuration


def test_two_thread_counts_are_two_configurations():
    from irbench.baselines import get_baseline

    vgg = get_baseline("vgg")
    described, training = vgg.describe(), vgg.training.model_dump()
    default = configuration("vgg", described, training, "auto", DEFAULT_THREADS)
    one = configuration("vgg", described, training, "auto", 1)
    assert one.digest != default.digest and one.folder != default.folder
    assert default.label == "default" and one.label == "threads=1"


def _run(data, results, cache, threads: str, cpus: set[int]) -> dict:
    command = [sys.executable, "-m", "irbench", "run", "-t", "irmas", "-b", "vgg", "-d", str(data),
               "--results-dir", str(results), "--cache-dir", str(cache), "--max-epochs", "1", "--quiet",
               "--workers", "1", "--threads", threads]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600,
                          preexec_fn=lambda: os.sched_setaffinity(0, cpus))
    assert done.returncode == 0, done.stderr
    return json.loads(record_file(results, "irmas", "vgg").read_text())


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to compare one-core and two-core runs")
def test_the_same_threads_on_one_and_two_cores_give_identical_records(micro_irmas, feature_cache, tmp_path):
    cpus = sorted(os.sched_getaffinity(0))
    narrow = _run(micro_irmas, tmp_path / "one-core", feature_cache, "2", {cpus[0]})
    wide = _run(micro_irmas, tmp_path / "two-cores", feature_cache, "2", set(cpus[:2]))
    for key in ("metrics", "per_class", "threshold", "config"):
        assert narrow[key] == wide[key], key
    assert narrow["provenance"]["torch_threads"] == wide["provenance"]["torch_threads"] == 2
