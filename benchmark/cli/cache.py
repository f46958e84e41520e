"""``irbench cache``: what the feature cache holds, and removing parts of it."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from irbench.logs import message_console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

app = typer.Typer(no_args_is_help=True, help="The feature cache: sizes per front end, and clearing it.")

CACHE_OPTION = typer.Option(Path(".cache/irbench"), "--cache-dir", envvar="IRBENCH_CACHE_DIR",
                            help="Feature cache: computed features, reused by later runs.")


def _megabytes(count: int) -> str:
    """``count`` bytes in MB (10**6) to one decimal; a part under 0.05 MB is ``<0.1 MB``, never ``0.0 MB``."""
    if 0 < count < 50_000:
        return "<0.1 MB"
    return f"{count / 1e6:,.1f} MB"


@app.command("info")
def info(cache_dir: Path = CACHE_OPTION) -> None:
    """Size of the cache per front end and of the memoised audio hashes.

    One block per part of the cache: its configuration, entries, size in MB, left-over partial writes of
    interrupted runs, and its folder under CACHE_DIR."""
    from irbench.features.inventory import cache_parts

    parts = cache_parts(cache_dir)
    console = Console()  # a page laid out at the width, in a file too (80 columns there)
    if not parts:
        console.print(f"no irbench cache at {escape(str(cache_dir))}; `irbench run` creates one (is this the "
                      "--cache-dir or IRBENCH_CACHE_DIR your runs used?)", highlight=False, soft_wrap=True)
        return
    for block in info_blocks(parts, Path(cache_dir).expanduser().resolve()):
        console.print(block, highlight=False)


def _configuration(config: dict | None) -> str:
    """``key=value, key=value`` (values as JSON), or ``-`` for an unknown configuration."""
    if not config:
        return "-"
    return ", ".join(f"{key}={json.dumps(value)}" for key, value in sorted(config.items()))


def info_blocks(parts: list, root: Path) -> list:
    """What ``irbench cache info`` prints, block by block: a table of five narrow columns (part, entries,
    size in MB, partial writes, folder; about 75 characters wide) and under it each front end's
    configuration as a paragraph indented under its folder's name, so nothing is squeezed into a column at
    80 columns. Strings are rich markup (escaped)."""
    table = Table()
    for column, justify in (("part", "left"), ("entries", "right"), ("size", "right"), ("partial", "right"),
                            ("folder", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for part in parts:
        table.add_row(escape(part.name), f"{part.entries:,}", _megabytes(part.bytes), str(part.partial),
                      escape(part.path.name))
    table.add_row("total", "", _megabytes(sum(p.bytes for p in parts)), "", "")
    blocks: list = [Text(f"irbench cache at {root}", overflow="fold"), table]
    if any(part.partial for part in parts):
        blocks.append("partial: files left by interrupted writes; `irbench cache clear` removes them with their "
                      "part")
    for part in (part for part in parts if part.kind == "features"):
        blocks += [f"{escape(part.path.name)} ({escape(part.name)}) configuration:",
                   Padding(Text(_configuration(part.config)), (0, 0, 0, 4))]
    return blocks


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
    """Remove cached features and memoised audio hashes.

    All of them by default; --frontend NAME only that front end's features, --hashes only the hash memo. Lists
    what it removes first and asks (--yes does not); only folders irbench writes are touched."""
    from irbench.features.inventory import cache_parts, remove, select

    console = message_console(stderr=False)
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
