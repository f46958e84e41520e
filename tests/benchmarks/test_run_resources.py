"""Peak memory and seconds per stage of whole ``irbench run`` commands on IRMAS stand-ins (pytest-benchmark).

Each run is a fresh process, so its peak resident memory (``ru_maxrss``) is its own (feature workers are
separate processes and not counted; each holds torch and one clip at a time). Scales: ``IRBENCH_BENCHMARK_SCALES=tiny,small,full`` (default ``tiny``,
when measuring); stand-ins are rendered into ``IRBENCH_BENCHMARK_DATA`` (default: a
temporary folder) and reused when already there. Run with
``IRBENCH_BENCHMARK_SCALES=tiny,small,full pytest tests/benchmarks --benchmark-enable -s``.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import record_file

SCALES = os.environ.get("IRBENCH_BENCHMARK_SCALES", "tiny").split(",")


@pytest.fixture(autouse=True)
def _measuring_only(benchmark):
    """Whole runs in fresh processes take minutes: they run when benchmarks are measured
    (``--benchmark-enable``), not in the test suite's smoke pass."""
    if benchmark.disabled:
        pytest.skip("peak memory and stage seconds are measured with --benchmark-enable")
EPOCHS = "2"
_WRAPPER = """
import json, resource, sys, time
from irbench.cli import main
from helpers import record_file
sys.argv = ["irbench", *sys.argv[1:]]
start = time.perf_counter()
try:
    main()
    code = 0
except SystemExit as done:
    code = int(done.code or 0)
print("IRBENCH-RESOURCES " + json.dumps({
    "code": code, "wall": time.perf_counter() - start,
    "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _stand_in(scale: str, tmp_path_factory) -> Path:
    root = Path(os.environ["IRBENCH_BENCHMARK_DATA"]) if "IRBENCH_BENCHMARK_DATA" in os.environ else \
        tmp_path_factory.getbasetemp() / "benchmark-data"
    folder = root / f"irmas-{scale}"
    if not (folder / "irbench-stand-in.json").exists():
        subprocess.run([sys.executable, "-m", "irbench", "data", "synth", "irmas", "--out", str(folder),
                        "--scale", scale, "--quiet"], check=True)
    return folder


def _irbench(*args: str) -> dict:
    """Run ``irbench ARGS`` in a fresh interpreter; its exit code, wall seconds and peak memory (MiB)."""
    done = subprocess.run([sys.executable, "-c", _WRAPPER, *args], capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("IRBENCH-RESOURCES ")), None)
    assert line is not None, done.stderr[-2000:]
    outcome = json.loads(line.split(" ", 1)[1])
    assert outcome["code"] == 0, done.stderr[-2000:]
    return outcome


@pytest.mark.parametrize("scale", ["tiny", "small", "full"])
def test_vgg_run_peak_memory_and_seconds_per_stage(benchmark, scale, tmp_path, tmp_path_factory):
    if scale not in SCALES:
        pytest.skip(f"scale {scale} not in IRBENCH_BENCHMARK_SCALES={','.join(SCALES)}")
    data = _stand_in(scale, tmp_path_factory)
    command = ["run", "-t", "irmas", "-b", "vgg", "-d", str(data), "--results-dir", str(tmp_path / "results"),
               "--cache-dir", str(tmp_path / "cache"), "--max-epochs", EPOCHS, "--quiet"]
    cold = benchmark.pedantic(_irbench, args=tuple(command), rounds=1)
    warm = _irbench(*command, "--overwrite")
    record = json.loads(record_file(tmp_path / "results", "irmas", "vgg").read_text())
    seconds = record["provenance"]["seconds"]
    features = sum(v for k, v in seconds.items() if k.startswith("features."))
    share = features / warm["wall"]
    benchmark.extra_info.update({"cold": cold, "warm": warm, "warm_seconds": seconds, "warm_features_share": share})
    print(f"\nirmas {scale} stand-in, vgg, {EPOCHS} epochs ({record['n_train']} train / {record['n_validation']} "
          f"validation / {record['n_test']} test clips):")
    for name, outcome in (("cold cache", cold), ("warm cache", warm)):
        print(f"  {name}: {outcome['wall']:.1f} s, peak RSS {outcome['rss_mib']:.0f} MiB")
    print("  warm stages: " + ", ".join(f"{k} {v:.2f} s" for k, v in seconds.items()))
    print(f"  features stage {features:.2f} s = {share:.1%} of the warm run's {warm['wall']:.1f} s")


@pytest.mark.parametrize("scale", ["tiny", "small"])
def test_several_seeds_cost_little_more_than_one(benchmark, scale, tmp_path, tmp_path_factory):
    if scale not in SCALES:
        pytest.skip(f"scale {scale} not in IRBENCH_BENCHMARK_SCALES={','.join(SCALES)}")
    data = _stand_in(scale, tmp_path_factory)

    def run(results: str, *seeds: str) -> float:
        start = time.perf_counter()
        _irbench("run", "-t", "irmas", "-b", "constant", "-d", str(data), "--results-dir", str(tmp_path / results),
                 "--cache-dir", str(tmp_path / "cache"), "--quiet", *(x for s in seeds for x in ("--seed", s)))
        return time.perf_counter() - start

    run("warm-up", "9")  # features cached, hashes memoised: both commands below start from the same cache
    one = run("one", "0")
    three = benchmark.pedantic(run, args=("three", "0", "1", "2"), rounds=1)
    benchmark.extra_info.update({"one_seed_seconds": one, "three_seeds_seconds": three})
    print(f"\nirmas {scale}, constant: one seed {one:.1f} s, three seeds in one command {three:.1f} s "
          f"({three / one:.2f}x)")
