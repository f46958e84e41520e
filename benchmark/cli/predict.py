"""``irbench predict``: per-instrument probabilities for a user's own audio files from a finished run."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table


def predict(
    audio: list[Path] = typer.Argument(..., help="Audio files (any format soundfile or librosa reads)."),
    run: Path = typer.Option(..., "--run", "-r", help="A run record, e.g. results/irmas/vgg/seed-0.json."),
    fmt: str = typer.Option("table", "--format", "-f", help="table (default), json or csv."),
    top: int = typer.Option(0, "--top", min=0, help="Show only the N most likely classes (table; 0 = all)."),
) -> None:
    """Print per-instrument probabilities for each file and, when a file is longer than the model's window,
    per window over time. Uses the run's best checkpoint and front end."""
    from irbench.errors import ConfigError
    from irbench.predict import load_run, predict_file

    if fmt not in ("table", "json", "csv"):
        raise ConfigError(f"--format takes table, json or csv, not {fmt!r}")
    loaded = load_run(run)
    results = [predict_file(loaded, path) for path in audio]
    labels = loaded.labels
    if fmt == "json":
        json.dump([{
            "file": str(r.path), "probabilities": dict(zip(labels, map(float, r.overall))),
            "windows": [{"start": s, "end": e, "probabilities": dict(zip(labels, map(float, p)))} for s, e, p in r.windows],
        } for r in results], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["file", "start", "end", *labels])
        for r in results:
            writer.writerow([str(r.path), "", "", *(f"{p:.6f}" for p in r.overall)])
            for start, end, p in r.windows:
                writer.writerow([str(r.path), f"{start:.3f}", f"{end:.3f}", *(f"{v:.6f}" for v in p)])
        return
    console = Console()
    stand_in = " (trained on an offline stand-in, not real data)" if loaded.record.stand_in else ""
    for r in results:
        order = np.argsort(-r.overall)[: top or len(labels)]
        table = Table(title=f"{escape(str(r.path))}\n{loaded.record.task}/{loaded.record.baseline} seed "
                            f"{loaded.record.seed}{stand_in}")
        table.add_column("instrument")
        table.add_column("whole file", justify="right")
        shown = r.windows if len(r.windows) > 1 else []
        for start, end, _ in shown:
            table.add_column(f"{start:.1f}-{end:.1f} s", justify="right")
        for index in order:
            table.add_row(escape(labels[index]), f"{r.overall[index]:.3f}", *(f"{p[index]:.3f}" for _, _, p in shown))
        console.print(table)

