"""``irbench data``: synthesise offline stand-ins of the datasets."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from irbench.parallel import default_workers

app = typer.Typer(no_args_is_help=True, help="Offline stand-ins of the datasets.")


@app.command("synth")
def synth(
    task: str = typer.Argument(..., help="Dataset to imitate, e.g. irmas."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the stand-in to."),
    scale: str = typer.Option("tiny", "--scale", help="tiny (quick start), small, or full (real sizes)."),
    seed: int = typer.Option(0, "--seed", help="Generator seed: same seed, same files."),
    soundfont: Path | None = typer.Option(None, "--soundfont", help="A General MIDI .sf2 (default TimGM6mb)."),
    workers: int = typer.Option(default_workers(), "--workers", "-j", min=1, help="Rendering processes."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Render an offline stand-in of TASK's dataset in its exact on-disk layout.

    The audio comes from a General MIDI SoundFont, so results on it are labelled as stand-in results.
    An interrupted synthesis resumes where it stopped.
    """
    from irbench.synth import STAND_INS

    marker = STAND_INS.get(task)(out, scale=scale, seed=seed, soundfont=soundfont, workers=workers,
                                 show_progress=not quiet)
    Console(stderr=True).print(
        f"[green]stand-in ready:[/] {escape(str(out))} ({marker['n_train']} training and {marker['n_test']} test clips, "
        f"scale {scale}, seed {seed})", highlight=False,
    )
