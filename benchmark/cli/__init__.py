"""The ``irbench`` command line (typer): one small module per command group.

``main`` turns every ``IrbenchError`` into a one-paragraph message and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from irbench import __version__
from irbench.cli import cache, data, inspect, predict, report, run
from irbench.errors import IrbenchError

app = typer.Typer(
    name="irbench", no_args_is_help=True, add_completion=False,
    help="Benchmark harness and leaderboard for musical instrument recognition.",
)
app.command("run")(run.run)
app.command("report")(report.report)
app.command("predict")(predict.predict)
app.add_typer(data.app, name="data")
app.add_typer(cache.app, name="cache")
app.command("list")(inspect.list_entries)
app.command("validate")(inspect.validate)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"irbench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Benchmark harness and leaderboard for musical instrument recognition."""


def main() -> None:
    """Console-script entry point."""
    try:
        status = app(standalone_mode=False)  # click returns a typer.Exit's code instead of raising it
    except IrbenchError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        Console(stderr=True).print("interrupted; run the same command again to resume")
        sys.exit(130)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as error:  # click's usage errors arrive here in non-standalone mode
        import click

        if isinstance(error, click.ClickException):
            error.show()
            sys.exit(error.exit_code)
        raise
    if isinstance(status, int) and status:
        sys.exit(status)
