"""``irbench predict``: which instruments play in a user's own audio files, from a finished run."""

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


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}:{rest:04.1f}"


def predict(
    audio: list[Path] = typer.Argument(..., help="Audio files (any format soundfile or librosa reads)."),
    run: Path = typer.Option(..., "--run", "-r", help="A run record, e.g. results/irmas/vgg/seed-0.json."),
    fmt: str = typer.Option("table", "--format", "-f", help="table (default), json or csv."),
    top: int = typer.Option(0, "--top", min=0, help="Show only the N most likely instruments (table; 0 = all)."),
    windows: bool = typer.Option(False, "--windows", "-w", help="Also show every window (table); json and csv "
                                 "always hold them."),
) -> None:
    """Per instrument: its whole-file probability (the run's own aggregation), the decision under the
    run's threshold (chosen on validation), and where in the file it is most present. Windows cover the whole
    file, the last one ending at its end; memory stays bounded for long files."""
    from irbench.errors import ConfigError
    from irbench.predict import load_run, predict_file

    if fmt not in ("table", "json", "csv"):
        raise ConfigError(f"--format takes table, json or csv, not {fmt!r}")
    loaded = load_run(run)
    labels = loaded.labels
    names = dict(zip(labels, loaded.label_names))
    results = [predict_file(loaded, path) for path in audio]
    if fmt == "json":
        json.dump([{
            "file": str(r.path), "probabilities": dict(zip(labels, map(float, r.overall))),
            "present": [label for label, d in zip(labels, r.decision) if d],
            "padded": r.padded,
            "windows": [{"start": s, "end": e, "probabilities": dict(zip(labels, map(float, p)))}
                        for s, e, p in r.windows],
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
    record = loaded.record
    stand_in = " (trained on an offline stand-in, not real data)" if record.stand_in else ""
    decision = record.threshold.describe()
    for r in results:
        duration = r.windows[-1][1] if r.windows else 0.0
        title = (f"{escape(str(r.path))}\n{escape(record.task)}/{escape(record.baseline)} seed {record.seed}"
                 f"{stand_in}: {duration:.1f} s, {len(r.windows)} window(s) of {r.window_seconds:.2f} s; "
                 f"present = {escape(decision)}")
        table = Table(title=title)
        for column, justify in (("instrument", "left"), ("probability", "right"), ("present", "center"),
                                ("most present at", "right")):
            table.add_column(column, justify=justify)
        for index in np.argsort(-r.overall)[: top or len(labels)]:
            start, end = r.most_present(index)
            table.add_row(escape(names[labels[index]]), f"{r.overall[index]:.3f}", "yes" if r.decision[index] else "",
                          f"{_clock(start)}-{_clock(end)}")
        console.print(table)
        if r.padded:
            console.print(f"note: the file is shorter than the model's {r.window_seconds:.2f}-s window; it was "
                          "padded with silence", highlight=False)
        if windows:
            per_window = Table(title="per window (top 3)")
            per_window.add_column("window", justify="right")
            per_window.add_column("instruments")
            for start, end, p in r.windows:
                best = np.argsort(-p)[:3]
                per_window.add_row(f"{_clock(start)}-{_clock(end)}",
                                   ", ".join(f"{escape(names[labels[i]])} {p[i]:.2f}" for i in best))
            console.print(per_window)
