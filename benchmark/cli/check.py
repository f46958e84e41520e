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
    typer.echo(f"{'baseline':<16} {'identical':<9} {'train/s':>8} {'read/s':>8} {'wait':>5} {'seconds':>7} "
               f"{'peak MiB':>8}  note")
    for item in checks:
        note = item.problem or ", ".join(item.differences[:3])
        device_memory = f"device {item.peak_device_mib:.0f} MiB " if item.peak_device_mib is not None else ""
        wait = f"{item.data_wait_share:.0%}" if item.data_wait_share is not None else "-"
        typer.echo(f"{item.baseline:<16} {str(item.identical).lower():<9} "
                   f"{_rate(item.train_windows_per_second):>8} {_rate(item.reader_windows_per_second):>8} "
                   f"{wait:>5} {item.seconds:>7.1f} {item.peak_host_mib:>8.0f}  {(device_memory + note)[:14]}")
    typer.echo("train/s, read/s: windows per second trained and read; wait: time spent reading")
    typer.echo(f"figures: {work_dir / 'check.json'}")
    if not all(item.identical for item in checks):
        raise typer.Exit(1)


def _rate(value: float | None) -> str:
    """A windows-per-second figure in at most 8 characters (``-`` when there is none)."""
    if not value:
        return "-"
    return f"{value / 1e6:.1f}M" if value >= 1e6 else f"{value / 1e3:.1f}k" if value >= 1e4 else f"{value:.1f}"
