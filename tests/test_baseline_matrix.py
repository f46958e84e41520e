"""Every built-in baseline on every task's tiny stand-in, and ``irbench validate`` on each of them."""

import pytest

from irbench.baselines import BASELINES
from irbench.runner import RunOptions, run_benchmark
from irbench.tasks import TASKS, get_task
from irbench.validate import validate_baseline

BUILT_IN = ("mlp", "vgg", "multistft-panns", "transformer", "cnn14", "constant")
HEAVY = {"multistft-panns", "cnn14"}  # seconds per window on 2 CPU cores: one epoch each


def test_the_six_built_ins_are_registered():
    assert set(BUILT_IN) <= set(BASELINES.names())


@pytest.mark.parametrize("baseline", BUILT_IN)
def test_validate_passes(baseline):
    failed = [f"{c.name}: {c.detail}" for c in validate_baseline(baseline) if not c.passed]
    assert not failed


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.mark.parametrize("task", sorted(TASKS.names()))
@pytest.mark.parametrize("baseline", BUILT_IN)
def test_baseline_runs_on_task(baseline, task, stand_in, cache, tmp_path):
    record, _ = run_benchmark(RunOptions(task, baseline, stand_in(task), tmp_path, cache,
                                         max_epochs=1 if baseline in HEAVY else 2, workers=2, show_progress=False))
    assert list(record.per_class) == list(get_task(task).metadata.labels)
    assert record.metrics[record.main_score] >= 0 and record.config["training"]["max_epochs"] <= 2
