"""``irbench check``: identical digits twice, and training speed, for each baseline on this machine."""

from __future__ import annotations

from pathlib import Path

import typer


def check(
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
    baseline: list[str] = typer.Option([], "--baseline", "-b",
                                       help="Baselines to check (repeatable); default: every built-in one."),
    quick: bool = typer.Option(False, "--quick", help="The smallest IRMAS layout (22 training windows): what CI "
                               "runs on CPU."),
    epochs: int = typer.Option(1, "--epochs", min=1, help="Epochs of each of the two trainings."),
    work_dir: Path = typer.Option(Path(".cache/irbench-check"), "--work-dir",
                                  help="Where the stand-in, both runs' records and check.json go."),
) -> None:
    """Train each baseline twice with the same seed on a built-in IRMAS stand-in and compare the two runs bit \
for bit (metrics, per-class figures, thresholds, every weight); print training windows per second and peak \
memory, and write the figures to WORK_DIR/check.json. Exit 1 when any baseline is not identical or fails. \
The first command to run on a machine with a GPU: irbench check --device cuda."""
    from irbench.check import DEFAULT_BASELINES, run_check

    checks = run_check(work_dir, device, tuple(baseline) or DEFAULT_BASELINES, quick, epochs)
    typer.echo(f"{'baseline':<16} {'identical':<9} {'windows/s':>9} {'seconds':>8} {'peak MiB':>9}  note")
    for item in checks:
        speed = f"{item.train_windows_per_second:.1f}" if item.train_windows_per_second else "-"
        note = item.problem or ", ".join(item.differences[:3])
        device_memory = f" (device {item.peak_device_mib:.0f})" if item.peak_device_mib is not None else ""
        typer.echo(f"{item.baseline:<16} {str(item.identical).lower():<9} {speed:>9} {item.seconds:>8.1f} "
                   f"{item.peak_host_mib:>9.0f}  {note[:30]}{device_memory}")
    typer.echo(f"figures: {work_dir / 'check.json'}")
    if not all(item.identical for item in checks):
        raise typer.Exit(1)
