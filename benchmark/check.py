"""``irbench check``: does this machine give identical digits twice, and how fast does each baseline train on it?

On a built-in IRMAS stand-in (rendered into the work folder once), each baseline is trained twice with the
same seed for ``epochs`` epochs into two results folders and evaluated; the check compares the two records'
metrics, per-class figures and thresholds, and the two checkpoints' tensors, bit for bit. It reports training
windows per second (training windows x epochs / training seconds), the reader's windows per second as the
training loop saw it (windows / seconds waiting for batches), the share of the loop's time spent waiting for
batches (:class:`irbench.run.callbacks.DataWait`), the run's peak host memory and, on CUDA, the peak device
memory, and writes everything as JSON (``check.json`` in the work folder).

``quick`` (what CI runs on CPU) trains on the IRMAS stand-in at scale ``micro``, the smallest layout that
still splits (two clips of two recordings per class, six test clips: 22 training windows of 3 s), for one
epoch; otherwise the tiny stand-in (132 training clips). The first command to run on a machine with a GPU:
``irbench check --device cuda``.
"""

from __future__ import annotations

import json
import resource
import time
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_BASELINES = ("constant", "mlp", "vgg", "transformer", "cnn14", "multistft-panns")


@dataclass
class BaselineCheck:
    """One baseline's check: ``identical`` (metrics, per-class figures, thresholds and weights equal in both
    runs), what differed, training windows per second, the reader's windows per second and the share of
    training time spent waiting for batches (in [0, 1]; of the first run, ``None`` when nothing was
    trained), seconds of both runs, peak memory of this process (host, MiB; device, MiB on CUDA else
    ``None``) and the error that stopped it (``""`` when none)."""

    baseline: str
    identical: bool
    differences: list[str]
    train_windows_per_second: float | None
    seconds: float
    peak_host_mib: float
    peak_device_mib: float | None
    problem: str = ""
    reader_windows_per_second: float | None = None
    data_wait_share: float | None = None


def stand_in(work: Path, quick: bool) -> Path:
    """The IRMAS stand-in the check trains on, rendered under ``work`` once: scale ``tiny``, or with
    ``quick`` scale ``micro`` (``work/irmas-micro``)."""
    from irbench.synth.irmas import synthesise_irmas

    scale = "micro" if quick else "tiny"
    root = work / f"irmas-{scale}"
    if not (root / "irbench-stand-in.json").exists():
        synthesise_irmas(root, scale=scale, seed=0, workers=1, show_progress=False)
    return root


def compare_runs(first: Path, second: Path) -> list[str]:
    """What differs between two runs' records (metrics, per-class figures, thresholds) and checkpoints
    (every tensor, bit for bit); empty when they are identical."""
    import torch

    from irbench.store.records import read_record

    a, b = read_record(first), read_record(second)
    differences = []
    for part in ("metrics", "per_class", "threshold"):
        if getattr(a, part) != getattr(b, part):
            differences.append(part)
    checkpoints = [torch.load(path.with_name(record.checkpoint_file), map_location="cpu", weights_only=True)
                   for path, record in ((first, a), (second, b)) if record.checkpoint_file]
    if len(checkpoints) == 2:
        left, right = checkpoints[0]["state_dict"], checkpoints[1]["state_dict"]
        for name in sorted(set(left) | set(right)):
            if name not in left or name not in right or not torch.equal(left[name], right[name]):
                differences.append(f"weights {name}")
    return differences


def check_baseline(baseline: str, data_home: Path, work: Path, device: str, epochs: int,
                   seed: int = 0) -> BaselineCheck:
    """Train ``baseline`` twice with ``seed`` for ``epochs`` epochs on ``data_home`` and compare the runs."""
    from irbench.api import evaluate

    start = time.perf_counter()
    paths, problem = [], ""
    try:
        for attempt in ("a", "b"):
            results = evaluate(baseline, task="irmas", data_home=data_home, seeds=(seed,),
                               results_dir=work / f"results-{attempt}", cache_dir=work / "cache", device=device,
                               max_epochs=epochs, overwrite=True)
            paths.append(Path(results.to_dataframe(level="run")["path"].iloc[0]))
    except Exception as error:  # a baseline that cannot run here is reported, the others still checked
        problem = f"{type(error).__name__}: {error}"
    seconds = time.perf_counter() - start
    differences = compare_runs(*paths) if len(paths) == 2 else []
    speed, reader, waiting = _speeds(paths[0]) if paths else (None, None, None)
    return BaselineCheck(baseline, not problem and not differences, differences, speed, round(seconds, 1),
                         _peak_host_mib(), _peak_device_mib(device), problem, reader, waiting)


def _speeds(path: Path) -> tuple[float | None, float | None, float | None]:
    """(training windows/s, reader windows/s, share of the loop's time waiting for batches) of a record: its
    training windows x epochs over the training stage's seconds and over the loop's ``train.data_wait``
    (the check's runs start afresh, ``overwrite``, so every epoch ran in the timed call)."""
    from irbench.store.records import read_record

    record = read_record(path)
    seconds = record.provenance.seconds.get("train")
    windows = (record.windows.windows.get("train") if record.windows else None) or 0
    epochs = record.training.epochs or 0
    speed = round(windows * epochs / seconds, 1) if seconds and windows and epochs else None
    waited, stepped = record.provenance.seconds.get("train.data_wait"), record.provenance.seconds.get("train.steps")
    if not waited or stepped is None:
        return speed, None, None
    return speed, round(windows * epochs / waited, 1), round(waited / (waited + stepped), 4)


def _peak_host_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _peak_device_mib(device: str) -> float | None:
    import torch

    if device.startswith("cuda") or (device == "auto" and torch.cuda.is_available()):
        return round(torch.cuda.max_memory_allocated() / 2**20, 1)
    return None


def run_check(work: Path, device: str = "auto", baselines: tuple[str, ...] = DEFAULT_BASELINES,
              quick: bool = False, epochs: int = 1) -> list[BaselineCheck]:
    """Check every baseline (see the module docstring); writes ``work/check.json`` and returns the checks.

    Raises ``ConfigError`` for an unknown device and ``UnknownNameError`` for an unknown baseline, before
    anything is trained; a baseline that fails while training is reported in its ``problem``."""
    from irbench.baselines import get_baseline
    from irbench.run.training import resolve_device

    resolve_device(device)
    for name in baselines:
        get_baseline(name)
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    data_home = stand_in(work, quick)
    checks = [check_baseline(name, data_home, work, device, epochs) for name in baselines]
    from irbench.store.atomic import atomic_write_text

    atomic_write_text(work / "check.json", json.dumps({"device": device, "quick": quick, "epochs": epochs,
                                                       "checks": [asdict(c) for c in checks]}, indent=2))
    return checks
