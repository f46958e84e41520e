"""``irbench run``: train and evaluate one baseline on one task for one or more seeds."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from irbench.cli.guidance import check_case, inside_dataset
from irbench.logs import message_console, messages_to
from irbench.run.parallel import default_workers


SEED_MAX = 2**32 - 1


def _seeds_in_range(seeds: list[int]) -> list[int]:
    """``--seed``'s check, a usage error (exit 2) outside 0 .. 2**32-1. Not typer's ``min``/``max``: those print
    ``[0<=x<=4294967295]`` beside the option, widening the whole help page's type column at 80 columns."""
    for value in seeds:
        if not 0 <= value <= SEED_MAX:
            raise typer.BadParameter(f"{value} is not in 0 .. 2**32-1 ({SEED_MAX})")
    return seeds


def run(
    task: str = typer.Option(..., "--task", "-t", help="Task name, e.g. irmas."),
    baseline: str = typer.Option(..., "--baseline", "-b", help="Baseline name, e.g. vgg or constant."),
    data_home: Path = typer.Option(..., "--data-home", "-d", help="Dataset root (real download or stand-in)."),
    seed: list[int] = typer.Option([0], "--seed", "-s", callback=_seeds_in_range,
                                   help="Seed, 0 .. 2**32-1; repeat it for several runs (-s 0 -s 1)."),
    results_dir: Path = typer.Option(Path("results"), "--results-dir", help="Where run records go."),
    cache_dir: Path = typer.Option(Path(".cache/irbench"), "--cache-dir", envvar="IRBENCH_CACHE_DIR",
                                   help="Feature cache: computed features, reused by later runs."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    max_epochs: int | None = typer.Option(None, "--max-epochs", min=0, help="Override the baseline's epochs."),
    threads: int = typer.Option(2, "--threads", min=1, max=256, help="CPU threads for training and evaluation "
                                "(default 2 on every machine: results depend on it; part of the configuration)."),
    config: list[str] = typer.Option([], "--config", "-c", help="Training override key=value (repeatable)."),
    precision: str | None = typer.Option(None, "--precision", help="32-true (fp32, the default), bf16-mixed or "
                                         "16-mixed (fp16-mixed, CUDA only): Lightning's; same as --config "
                                         "precision=..."),
    workers: int = typer.Option(default_workers(), "--workers", "-j", min=1, help="Feature extraction processes."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing record of the same run."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip unreadable audio (listed in the record)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    frontend: str | None = typer.Option(None, "--frontend", help="Another front end for the baseline's "
                                        "features, e.g. log-mel-essentia for vgg."),
) -> None:
    """Train BASELINE on TASK's training split and evaluate it with the task's protocol.

    Writes RESULTS_DIR/<task>/<baseline>/<configuration>/seed-<n>.json (plus predictions and checkpoint;
    the configuration folder names the settings that differ from the baseline's defaults). An existing
    record is kept unless --overwrite is given; an interrupted run resumes from its last epoch. Several
    --seed options load, hash, extract and index the data once, then train each seed. Epochs count from 1.
    A seed that stopped early or kept an earlier epoch than its last gets a line saying so, under its
    result and again under the mean ± std summary.
    """
    from irbench.run.runner import RunOptions, run_seeds

    console = message_console(stderr=True)
    if precision is not None:
        if any(item.partition("=")[0] == "precision" for item in config):  # keys as apply_overrides reads them
            raise typer.BadParameter("give the precision once: --precision or --config precision=...",
                                     param_hint="--precision")
        config = [*config, f"precision={precision}"]
    options = RunOptions(
        task=task, baseline=baseline, data_home=data_home, results_dir=results_dir, cache_dir=cache_dir,
        seed=seed[0], device=device, max_epochs=max_epochs, config=list(config), workers=workers, threads=threads,
        overwrite=overwrite, skip_bad=skip_bad, show_progress=not quiet, frontend=frontend,
    )

    def show(message: str, level: int) -> None:
        word = "[red]warning:[/]" if level >= logging.WARNING else "[yellow]note:[/]"
        console.print(f"{word} {escape(message)}", highlight=False)

    check_case(task, "task")
    check_case(baseline, "baseline")
    warning = cpu_cost_warning(baseline, device)
    if warning is not None:
        show(warning, logging.WARNING)
    finished = []
    with messages_to(show), _data_home_advice(task, data_home):
        for outcome in run_seeds(options, list(dict.fromkeys(seed))):
            if outcome.record is None:
                console.print(f"[yellow]skipped:[/] {escape(outcome.kept or '')}", highlight=False)
                continue
            finished.append(outcome.record)
            _print_result(console, outcome.record, outcome.path)
    if len(finished) > 1:
        console.print(_summary(finished), highlight=False)
        for line in _stopping_lines(finished):
            console.print(line, highlight=False)


@dataclass(frozen=True)
class MeasuredCost:
    """What one epoch of a baseline cost on CPU, measured by hand: peak resident memory of the whole
    ``irbench run`` (GB, 10**9 bytes; /usr/bin/time -v), seconds per training epoch (the record's train stage
    over its epochs), on the tiny IRMAS stand-in (132 training clips), ``--threads 2``, on ``machine``."""

    gigabytes: float
    seconds_per_epoch: float
    measured: str  # date
    machine: str


# /usr/bin/time -v irbench run --task irmas --baseline B --data-home <tiny stand-in, seed 0> --device cpu
# --max-epochs 2 -q, no pretrained weights: multistft-panns 6,274,296 kB peak, train stage 239.2 s for 2 epochs;
# cnn14 3,463,988 kB peak, 119.2 s for 2 epochs (2 cores shared with other work, so an upper end)
_MACHINE = "2 cores of an AMD EPYC, torch 2.13 CPU"
CPU_COSTS = {
    "multistft-panns": MeasuredCost(6.4, 120, "2026-12-02", _MACHINE),
    "cnn14": MeasuredCost(3.5, 60, "2026-12-02", _MACHINE),
}
TINY_TRAINING_CLIPS, IRMAS_TRAINING_CLIPS = 132, 6705


def cpu_cost_warning(baseline: str, device: str) -> str | None:
    """One line for a baseline known to be heavy on CPU (:data:`CPU_COSTS`) when the run will be on CPU
    (``--device cpu``, or ``auto`` without CUDA): its measured peak memory and seconds per epoch on the tiny
    stand-in, and that an epoch grows with the training clips. ``None`` otherwise (or for a bad --device,
    which the run itself refuses)."""
    cost = CPU_COSTS.get(baseline)
    if cost is None or device not in ("auto", "cpu"):
        return None
    if device == "auto":
        import torch

        if torch.cuda.is_available():
            return None
    return (f"{baseline} on CPU is heavy: about {cost.gigabytes:g} GB of memory and {cost.seconds_per_epoch:g} s "
            f"per epoch on the tiny IRMAS stand-in ({TINY_TRAINING_CLIPS} training clips; measured "
            f"{cost.measured} on {cost.machine}); an epoch grows with the training clips ({IRMAS_TRAINING_CLIPS:,} "
            f"in the real IRMAS: about {cost.seconds_per_epoch * IRMAS_TRAINING_CLIPS / TINY_TRAINING_CLIPS / 60:.0f} "
            "min), so a GPU (--device cuda) is advised")


@contextmanager
def _data_home_advice(task: str, data_home: Path) -> Iterator[None]:
    """Within the block, a ``DataNotFoundError`` for a ``--data-home`` that is a folder inside the dataset
    (``.../IRMAS-TrainingData``) becomes one naming the parent to pass (:func:`inside_dataset`)."""
    from irbench.errors import DataNotFoundError

    try:
        yield
    except DataNotFoundError as error:
        better = inside_dataset(task, data_home, error)
        if better is error:
            raise
        raise better from error


def _print_result(console: Console, record, path: Path) -> None:
    """One seed's result line (main score, micro/macro-F1, the threshold and the record's path) and, under
    it, when and where its training stopped."""
    label = " (offline stand-in, not real data)" if record.stand_in else ""
    shown = dict.fromkeys([record.main_score, "micro_f1", "macro_f1"])
    scores = ", ".join(f"{m} = {record.metrics[m]:.4f}" for m in shown if m in record.metrics)
    rule = record.threshold
    decision = f", threshold {rule.value} (chosen on {rule.chosen_on})" if rule.value is not None else ""
    console.print(
        f"[green]{escape(record.task)}/{escape(record.baseline)} seed {record.seed}{label}:[/] {scores}"
        f"{decision} -> {escape(str(path))}",
        highlight=False,
    )
    for line in _stopping_lines([record]):
        console.print(line, highlight=False)

def stopping_line(record) -> str | None:
    """``seed 2: validation loss never improved after epoch 1; kept epoch 1 of 10``: when and where a seed's
    training stopped and which (1-based) epoch it kept, or ``None`` when it kept the last of all its epochs
    (see ``TrainingSummary.stopping_note``)."""
    note = record.training.stopping_note()
    return None if note is None else f"seed {record.seed}: {note}"


def _stopping_lines(records) -> list[str]:
    """The console lines of :func:`stopping_line` for ``records``, indented under a result line."""
    lines = (stopping_line(record) for record in records)
    return [f"  [yellow]{escape(line)}[/]" for line in lines if line is not None]


def _summary(records) -> str:
    """One line over several seeds: the main score's mean ± sample standard deviation, n and the seeds."""
    import statistics

    main = records[0].main_score
    values = [r.metrics[main] for r in records]
    label = " (offline stand-in, not real data)" if records[0].stand_in else ""
    return (f"[bold]{escape(records[0].task)}/{escape(records[0].baseline)}{label}: {main} = "
            f"{statistics.fmean(values):.4f} ± {statistics.stdev(values):.4f} (mean ± sample std over "
            f"n = {len(values)} seeds: {', '.join(str(r.seed) for r in records)})[/]")
