"""``irbench sweep``: run a grid of tasks x baselines x seeds inline, on this machine's GPUs, or on Slurm."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from irbench.errors import ConfigError
from irbench.logs import message_console
from rich.console import Console
from rich.markup import escape

_SLURM = "Slurm (--executor slurm)"


app = typer.Typer()  # its help is the sweep callback's docstring


def sweep(
    context: typer.Context,
    grid: Path | None = typer.Option(None, "--grid", "-g", help="TOML grid file; options given here win."),
    task: list[str] = typer.Option([], "--task", "-t", help="Tasks, comma-separated or repeated."),
    baseline: list[str] = typer.Option([], "--baseline", "-b", help="Baselines, comma-separated or repeated."),
    seed: list[str] = typer.Option([], "--seed", "-s", help="Seeds: 0,1,2 or 0-2 (default 0)."),
    data_home: list[str] = typer.Option([], "--data-home", "-d", help="TASK=DIR for each task (DIR alone with "
                                        "one task)."),
    config: list[str] = typer.Option([], "--config", "-c", help="Training override key=value for every "
                                     "baseline, or BASELINE:key=value for one (repeatable)."),
    vary: list[str] = typer.Option([], "--vary", help="A configuration axis: key=value1,value2 (repeatable; "
                                   "every combination is one configuration of each baseline)."),
    max_epochs: int | None = typer.Option(None, "--max-epochs", min=0, help="Override the baselines' epochs."),
    threads: int | None = typer.Option(None, "--threads", min=1, max=256, help="CPU threads for training and "
                                       "evaluation in every cell (default 2; part of the configuration)."),
    device: str | None = typer.Option(None, "--device", help="auto (default), cpu or cuda."),
    frontend: list[str] = typer.Option([], "--frontend", help="Front end NAME, or BASELINE:NAME for one."),
    results_dir: Path | None = typer.Option(None, "--results-dir", help="Where records go (default results)."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", envvar="IRBENCH_CACHE_DIR",
                                          help="Feature cache (default .cache/irbench)."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Feature processes per job (default: "
                                       "the job's CPU cores)."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Skip unreadable audio (listed in the records)."),
    executor: str | None = typer.Option(None, "--executor", "-e", help="inline (default: here, one cell after "
                                        "another), local (submitit jobs on this machine) or slurm."),
    jobs: int | None = typer.Option(None, "--jobs", "-j", min=1, help="local: jobs at once (default: one per "
                                    "visible GPU, each pinned to it; 1 on CPU)."),
    group_seeds: bool = typer.Option(False, "--group-seeds", help="local/slurm: one job per task x baseline "
                                     "runs all its seeds, preparing the data once (default: one job per cell)."),
    time: str | None = typer.Option(None, "--time", help="Time limit per job, minutes or [D-]HH:MM:SS (slurm "
                                    "default 4:00:00; local default a week)."),
    max_requeues: int | None = typer.Option(None, "--max-requeues", min=0, help="Requeues after time limits "
                                            "(default 3)."),
    partition: str | None = typer.Option(None, "--partition", rich_help_panel=_SLURM, help="Slurm partition."),
    gpus: int | None = typer.Option(None, "--gpus", min=0, rich_help_panel=_SLURM, help="GPUs per job "
                                    "(default 1; 0 with --device cpu)."),
    cpus: int | None = typer.Option(None, "--cpus", min=1, rich_help_panel=_SLURM, help="CPUs per job."),
    mem_gb: float | None = typer.Option(None, "--mem-gb", rich_help_panel=_SLURM, help="Memory per job, GB."),
    array_parallelism: int | None = typer.Option(None, "--array-parallelism", min=1, rich_help_panel=_SLURM,
                                                 help="Array tasks running at once (default 256)."),
    signal_delay: int | None = typer.Option(None, "--signal-delay", min=0, rich_help_panel=_SLURM,
                                            help="Seconds before the time limit to checkpoint and requeue "
                                            "(default 90)."),
    slurm: list[str] = typer.Option([], "--slurm", rich_help_panel=_SLURM, help="Any other setting KEY=VALUE: "
                                    "account, qos, constraint, exclude, gres, or an sbatch option."),
    wait: bool = typer.Option(True, "--wait/--no-wait", rich_help_panel=_SLURM, help="Wait for the jobs "
                              "(--no-wait: submit and return; --status follows them)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Rerun cells that have a record (or a record "
                                   "made with other settings) and replace it."),
    retry_failed: bool = typer.Option(False, "--retry-failed", help="Rerun the cells that failed before."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (to run, to skip, failed before, "
                                 "conflicts) and run nothing."),
    status: bool = typer.Option(False, "--status", help="Show each cell's state (done, running, queued, failed, "
                                "interrupted, conflict, missing); exit 1 unless all are done."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars for inline cells."),
    plan_file: Path | None = typer.Option(None, "--plan", help="Write the grid's cells to this JSON file and run "
                                          "nothing; any array scheduler then runs `irbench sweep run-cell "
                                          "--plan FILE --index N` per cell."),
) -> None:
    """Run every TASK x BASELINE x SEED cell: each one `irbench run`, skipping what is done.

    A cell whose record exists with the same configuration is skipped (--overwrite reruns it); one that
    failed leaves seed-<n>.failure.json beside where its record would be, and the sweep goes on
    (--retry-failed reruns those). An interrupted or preempted cell resumes from its last completed epoch.
    Records go to RESULTS_DIR/<task>/<baseline>/<configuration>/seed-<n>.json, so `irbench report` shows
    the whole grid; --vary key=v1,v2 adds a configuration axis (each value its own cells).
    Exit status: 0 when every cell has its record, 1 when some failed or were not run, 2 for bad input,
    130 after Ctrl-C and 143 after SIGTERM (the stopped cell resumes when the same command runs again).
    """
    from irbench.sweep import GridValues, Sweep
    from irbench.sweep.gridfile import read_grid_file
    from irbench.sweep.plan import Action
    from irbench.sweep.state import State
    from irbench.sweep.views import plan_table, status_summary, status_table

    if context.invoked_subcommand is not None:
        return  # `irbench sweep run-cell ...`: the subcommand does the work
    if dry_run and status:
        raise ConfigError("--dry-run and --status do not go together: --status shows states, --dry-run the plan")
    given = GridValues(
        tasks=list(task), baselines=list(baseline), seeds=list(seed), data_homes=list(data_home),
        config=list(config), vary=list(vary), frontend=list(frontend), max_epochs=max_epochs, threads=threads,
        device=device,
        results_dir=results_dir, cache_dir=cache_dir, workers=workers, skip_bad=skip_bad or None,
        executor=_present(name=executor, jobs=jobs, group_seeds=group_seeds or None, time=time,
                          max_requeues=max_requeues, wait=None if wait else False,
                          show_progress=False if quiet else None),
        slurm={**_pairs(slurm), **_present(partition=partition, gpus=gpus, cpus=cpus, mem_gb=mem_gb,
                                           array_parallelism=array_parallelism, signal_delay_s=signal_delay)},
    )
    values = given.over(read_grid_file(grid)) if grid else given
    if not values.seeds:
        values.seeds = [0]
    plan_sweep = Sweep.from_values(values)
    # messages are one line each in a log (Slurm's output, a pipe), wrapped between words on a terminal
    out, err = message_console(stderr=False), message_console(stderr=True)
    results = plan_sweep.spec.results_dir
    if status:
        states = plan_sweep.states()
        out.print(status_table(states, f"sweep status in {results}"))
        out.print(escape(status_summary(states)), highlight=False)
        _notes(err, plan_sweep)
        raise typer.Exit(0 if all(s.state is State.DONE for s in states) else 1)
    if plan_file is not None:
        _write_plan(out, plan_sweep, plan_file)
        return
    plan = plan_sweep.plan(overwrite, retry_failed)
    _notes(err, plan_sweep)
    if dry_run:
        out.print(plan_table(plan, f"sweep plan for {results}"))
        out.print(escape(f"{plan.summary()}; executor: {plan_sweep.executor.describe()}"), highlight=False)
        return
    err.print(escape(f"[sweep] {plan.summary()}"), highlight=False)
    notable = [p for p in plan.cells if p.action not in (Action.RUN, Action.SKIP)]
    if notable:
        err.print(plan_table(plan, "cells that need attention or resume", only_notable=True))
    result = plan_sweep.run(plan, lambda line: err.print(escape(line), highlight=False, soft_wrap=True))
    _conclude(err, result, results)


def _write_plan(out: Console, plan_sweep, path: Path) -> None:
    """Write the sweep's cells to ``path`` and say how an array job runs them."""
    from irbench.sweep.planfile import write_plan

    cells = plan_sweep.spec.cells(plan_sweep.planned)
    written = write_plan(path, plan_sweep.spec, cells, {key: p.digest() for key, p in plan_sweep.planned.items()})
    out.print(escape(f"[sweep] wrote {len(cells)} cell(s) to {written}: run each with `irbench sweep run-cell "
                     f"--plan {written} --index N`, N from 0 to {len(cells) - 1} (e.g. N=$PBS_ARRAY_INDEX)"),
              highlight=False, soft_wrap=True)


def run_cell(
    plan_file: Path = typer.Option(..., "--plan", help="A plan file written by `irbench sweep ... --plan FILE`."),
    index: int = typer.Option(..., "--index", min=0, help="The cell to run (0-based: an array job's index)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Rerun the cell even when its record exists."),
) -> None:
    """Run one cell of a plan file, as one task of any array scheduler (PBS, SGE, LSF, HTCondor, a
    Kubernetes Indexed Job): it resumes from its last epoch and writes its record, or its failure record,
    as a cell of `irbench sweep --executor slurm` does. Exit status: 0 when the cell has its record, 1 when
    it failed (see its seed-<n>.failure.json), 2 for bad input."""
    from irbench.sweep.planfile import run_cell as run_planned_cell

    err = message_console(stderr=True)
    outcome = run_planned_cell(plan_file, index, overwrite)
    err.print(escape(f"[sweep] cell {index} {outcome.cell.label}: {outcome.status}"
                     + (f" ({outcome.message})" if outcome.message else "")), highlight=False, soft_wrap=True)
    if outcome.status not in ("done", "kept"):
        raise typer.Exit(1)


def _notes(console: Console, plan_sweep) -> None:
    """Say once what Slurm could not tell while the cells' states were read (no ``sacct``, ...)."""
    for note in dict.fromkeys(getattr(plan_sweep, "notes", [])):
        console.print(escape(f"note: {note}"), highlight=False, soft_wrap=True)


def _present(**values) -> dict:
    return {key: value for key, value in values.items() if value is not None}


def _pairs(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise ConfigError(f"--slurm expects KEY=VALUE, got {item!r}")
        pairs[key.strip()] = value
    return pairs


def _conclude(console: Console, result, results: Path) -> None:
    report = f"`irbench report --results-dir {results}` renders the leaderboard"
    if result.submitted:
        console.print(escape(f"[sweep] jobs submitted; `irbench sweep ... --status` follows them, and {report} "
                             "once they end"), highlight=False)
        return
    if result.succeeded():
        console.print(escape(f"[sweep] every cell has its record; {report}"), highlight=False)
        return
    failed = result.failed()
    if failed:
        console.print(escape(f"[sweep] {len(failed)} cell(s) failed: their seed-<n>.failure.json files say why; "
                             "fix the cause and rerun with --retry-failed"), highlight=False)
    busy = [o for o in result.outcomes if o.status == "busy"]
    if busy:
        console.print(escape(f"[sweep] {len(busy)} cell(s) were held by another process and left to it"),
                      highlight=False)
    left = [p for p in result.plan.cells if not p.action.runs and p.action.value != "skip"]  # failed, conflict, busy
    if left:
        kinds = ", ".join(f"{count} {action.value}" for action, count in Counter(p.action for p in left).items())
        console.print(escape(f"[sweep] {len(left)} cell(s) not run ({kinds}): see the table above"),
                      highlight=False)
    raise typer.Exit(1)
