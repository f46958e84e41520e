"""``irbench data``: synthesise offline stand-ins, download the real datasets and pretrained weights, verify
a copy. Each command reads the task's dataset card or the weights' declaration, so plugin tasks and weights
work like built-in ones."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from irbench.logs import message_console

from irbench.cli.guidance import check_case
from irbench.cli.interrupt import interruptible
from irbench.run.parallel import default_workers

app = typer.Typer(no_args_is_help=True,
                  help="Datasets and pretrained weights: synthesise offline stand-ins, download, verify.")
CACHE_OPTION = typer.Option(None, "--cache-dir", envvar="IRBENCH_CACHE_DIR",
                            help="Cache whose weights/ folder holds downloaded weights (default .cache/irbench).")


@app.command("synth")
@interruptible
def synth(
    task: str = typer.Argument(..., help="Task whose dataset to imitate, e.g. irmas."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write the stand-in to."),
    scale: str = typer.Option("tiny", "--scale", help=(
        "micro (smoke tests of heavy models), tiny (quick start), small, or full (real sizes).")),
    seed: int = typer.Option(0, "--seed", help="Generator seed: same seed, same files."),
    soundfont: Path | None = typer.Option(None, "--soundfont", help="A General MIDI .sf2 (default TimGM6mb)."),
    workers: int = typer.Option(default_workers(), "--workers", "-j", min=1, help="Rendering processes."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Render an offline stand-in of TASK's dataset in its exact on-disk layout.

    The audio comes from a General MIDI SoundFont, so results on it are labelled as stand-in results.
    An interrupted synthesis resumes where it stopped.
    """
    from irbench.synth import stand_in_generator

    check_case(task, "task")
    generator = stand_in_generator(task)(seed, soundfont)
    marker = generator.synthesise(out, scale, workers, show_progress=not quiet)
    message_console(stderr=True).print(
        f"[green]stand-in ready:[/] {escape(str(out))} ({marker['n_train']} training and {marker['n_test']} test clips, "
        f"scale {scale}, seed {seed}); next: irbench run --task {escape(task)} --baseline vgg --data-home "
        f"{escape(str(out))}", highlight=False,
    )


@app.command("download")
@interruptible
def download(
    name: str = typer.Argument(..., help="A task whose dataset to fetch (irmas, medley-solos, openmic, musicnet, "
                                         "...) or weights (cnn14-weights)."),
    data_home: Path | None = typer.Option(None, "--data-home", "-d", help="Folder to download a dataset into."),
    cache_dir: Path | None = CACHE_OPTION,
) -> None:
    """Download NAME's files (a dataset with mirdata or pooch, weights with pooch) and check their published
    checksums. Weights go to CACHE_DIR/weights/, where the baselines find them with no option.

    The only irbench command that uses the network. Large: IRMAS about 3 GB, OpenMIC 2.6 GB,
    Medley-solos-DB 2 GB, MusicNet 11 GB, cnn14-weights 327 MB.
    """
    from irbench.data.download import download as fetch
    from irbench.data.download import resolve

    check_case(name, "task")
    target = resolve(name, data_home, cache_dir)
    fetch(name, data_home, cache_dir)
    command = f"irbench data verify {name}"
    if target.kind == "dataset":
        command += f" --data-home {target.destination}"
    elif cache_dir is not None:
        command += f" --cache-dir {cache_dir}"
    message_console(stderr=True).print(f"[green]downloaded:[/] {escape(str(target.destination))}; now run "
                               f"`{escape(command)}`", highlight=False)


@app.command("verify")
def verify(
    name: str = typer.Argument(..., help="Task whose dataset to check, or weights (cnn14-weights)."),
    data_home: Path | None = typer.Option(None, "--data-home", "-d", help="Dataset root."),
    index: Path | None = typer.Option(None, "--index", help="mirdata index JSON with MD5s (default: "
                                      "DATA_HOME/mirdata_indexes/, written by `irbench data download`)."),
    allow_missing: bool = typer.Option(False, "--allow-missing", help="Accept a partial copy: only check "
                                       "the files that are there."),
    cache_dir: Path | None = CACHE_OPTION,
) -> None:
    """Check a dataset or downloaded weights; exit 1 listing what is wrong.

    A dataset: its layout, counts, audio headers and checksums. Weights: their checksum."""
    from rich.table import Table

    from irbench.data.verify import verify as check

    check_case(name, "task")
    report = check(name, data_home, index, cache_dir)
    table = Table(title=f"{escape(name)} at {escape(str(report.data_home))}")
    for column in ("found", "missing", "corrupt", "expected (full dataset)", "checksums compared"):
        table.add_column(column, justify="right")
    table.add_row(str(len(report.found)), str(len(report.missing) + report.shortfall), str(len(report.corrupt)),
                  "stand-in" if report.stand_in else str(report.expected or "-"), str(report.checksummed))
    console = message_console(stderr=False)
    console.print(table)
    if report.checksum_reference and report.checksummed:
        console.print(f"checksums from {escape(report.checksum_reference)}", highlight=False)
    for relative, problem in report.corrupt:
        console.print(f"[red]corrupt:[/] {escape(relative)}: {escape(problem)}", highlight=False)
    if report.missing and not allow_missing:
        for relative in report.missing[:20]:
            console.print(f"[yellow]missing:[/] {escape(relative)}", highlight=False)
        if len(report.missing) > 20:
            console.print(f"... and {len(report.missing) - 20} more missing files")
    if report.shortfall and not allow_missing:
        console.print(f"[yellow]missing:[/] {report.shortfall} audio files short of the full dataset's "
                      f"{report.expected}", highlight=False)
    if not report.ok(allow_missing):
        raise typer.Exit(1)
