"""``irbench cache``: what the feature cache holds, and removing parts of it."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

app = typer.Typer(no_args_is_help=True, help="The feature cache: sizes per front end, and clearing it.")

CACHE_OPTION = typer.Option(Path(".cache/irbench"), "--cache-dir", envvar="IRBENCH_CACHE_DIR",
                            help="Feature cache (env IRBENCH_CACHE_DIR).")


def _megabytes(count: int) -> str:
    return f"{count / 1e6:,.1f} MB"


@app.command("info")
def info(cache_dir: Path = CACHE_OPTION) -> None:
    """Size of the cache per front-end configuration (entries, MB, left-over partial writes) and of the
    memoised audio hashes."""
    from irbench.features.inventory import cache_parts

    parts = cache_parts(cache_dir)
    console = Console()
    if not parts:
        console.print(f"no irbench cache at {escape(str(cache_dir))}", highlight=False)
        return
    table = Table(title=f"irbench cache at {escape(str(Path(cache_dir).expanduser().resolve()))}")
    for column, justify in (("part", "left"), ("configuration", "left"), ("entries", "right"),
                            ("size", "right"), ("partial files", "right"), ("folder", "left")):
        table.add_column(column, justify=justify)
    for part in parts:
        config = json.dumps(part.config, sort_keys=True) if part.config else "-"
        table.add_row(escape(part.name), escape(config), f"{part.entries:,}", _megabytes(part.bytes),
                      str(part.partial), escape(part.path.name))
    table.add_row("total", "", "", _megabytes(sum(p.bytes for p in parts)), "", "")
    console.print(table)


@app.command("clear")
def clear(
    cache_dir: Path = CACHE_OPTION,
    frontend: list[str] = typer.Option([], "--frontend", help="Only this front end's features (repeatable), "
                                       "e.g. multi-stft."),
    hashes: bool = typer.Option(False, "--hashes", help="Forget the memoised audio hashes (every file is "
                                "hashed again on the next run)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be removed; remove nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Remove cached features (all, or those of --frontend) and the hash memo (all, or with --hashes).
    Lists what it removes first; only folders irbench writes are touched."""
    from irbench.features.inventory import cache_parts, remove, select

    console = Console()
    chosen = select(cache_parts(cache_dir), list(frontend), hashes)
    if not chosen:
        console.print("nothing to remove", highlight=False)
        return
    for part in chosen:
        console.print(f"{'would remove' if dry_run else 'remove'} {escape(part.name)}: {part.entries:,} entries, "
                      f"{_megabytes(part.bytes)} ({escape(str(part.path))})", highlight=False)
    if dry_run:
        return
    if not yes and not typer.confirm("Remove these?", default=False):
        raise typer.Exit(1)
    console.print(f"freed {_megabytes(remove(chosen))}", highlight=False)
