"""``probe:cnn14`` and ``zero-shot:cnn14-audioset`` with random-weight Cnn14 on every task's tiny stand-in,
beside the floor (``constant``): each runs end to end and its main score and seconds are printed.

Cnn14 on a CPU core embeds about 4 s of audio per second, so the six tasks take tens of minutes: this runs
when benchmarks are measured (``pytest tests/benchmarks/test_pretrained_every_task.py --benchmark-enable
-s``), not in ``make test`` (whose budget is 10 minutes on 2 cores; ``tests/test_zero_shot.py`` runs both on
every task's micro stand-in there).
"""

from __future__ import annotations

import json
import time

import pytest

from helpers import run_cli
from irbench.tasks import TASKS


@pytest.fixture(autouse=True)
def _measuring_only(benchmark):
    if benchmark.disabled:
        pytest.skip("Cnn14 on every task's stand-in runs with --benchmark-enable (tens of minutes on CPU)")


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One results folder and cache for the module: the floor runs once per task, embeddings once per file."""
    return tmp_path_factory.mktemp("pretrained-every-task")


def _main_score(results, task: str, baseline: str) -> float:
    (path,) = (results / task).glob(f"{baseline.replace(':', '+')}/*/seed-0.json")
    record = json.loads(path.read_text())
    return record["metrics"][record["main_score"]]


@pytest.mark.parametrize("baseline", ["probe:cnn14", "zero-shot:cnn14-audioset"])
@pytest.mark.parametrize("task", sorted(TASKS.names()))
def test_random_weight_cnn14_on_every_task(task, baseline, shared, stand_in, monkeypatch, capsys, benchmark):
    home = stand_in(task)
    common = ("--task", task, "--data-home", str(home), "--results-dir", str(shared / "results"),
              "--cache-dir", str(shared / "cache"), "--threads", "1", "--workers", "1")
    if not list((shared / "results" / task).glob("constant/*/seed-0.json")):
        assert run_cli(monkeypatch, capsys, "run", *common, "--baseline", "constant")[0] == 0
    start = time.perf_counter()
    code, _, err = benchmark.pedantic(run_cli, args=(monkeypatch, capsys, "run", *common, "--baseline", baseline,
                                                     "--config", "weights=random"), rounds=1, iterations=1)
    assert code == 0, err
    score, floor = _main_score(shared / "results", task, baseline), _main_score(shared / "results", task, "constant")
    print(f"\n{task} {baseline}: {score:.4f} (floor {floor:.4f}), {time.perf_counter() - start:.0f} s")
