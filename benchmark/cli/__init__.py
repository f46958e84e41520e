"""The ``irbench`` command line (typer): one small module per command group.

``main`` turns every ``IrbenchError`` into a one-paragraph message and exit status 2, never a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from irbench import __version__
from irbench.cli import cache, check, data, inspect, predict, report, run
from irbench.cli.interrupt import as_interrupted, interruptible
from irbench.cli.pages import read_well
from irbench.cli import sweep as sweep_command
from irbench.errors import Interrupted, IrbenchError

app = typer.Typer(
    name="irbench", no_args_is_help=True, add_completion=False,
    help="Benchmark harness and leaderboard for musical instrument recognition.",
)
app.command("run")(interruptible(run.run))
app.command("report")(report.report)
app.command("predict")(predict.predict)
sweep_command.app.callback(invoke_without_command=True)(interruptible(sweep_command.sweep))
sweep_command.app.command("run-cell", short_help="Run one cell of a plan file (any array scheduler's task).")(
    interruptible(sweep_command.run_cell))
app.add_typer(sweep_command.app, name="sweep")
app.add_typer(data.app, name="data")
app.add_typer(cache.app, name="cache")
app.command("list")(inspect.list_entries)
app.command("validate")(inspect.validate)
app.command("check", short_help="Train each baseline twice with the same seed and compare the two runs bit for "
            "bit.")(check.check)  # its help's first sentence runs to 5 lines in the list of commands


def _version(value: bool) -> None:
    if value:
        typer.echo(f"irbench {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Benchmark harness and leaderboard for musical instrument recognition."""


read_well(app)  # every command and group, sub-apps included: unwrapped help, no <bool> (irbench.cli.pages)


def _usage_error(error: Exception) -> bool:
    """Whether ``error`` is one of click's usage errors (typer vendors click, so match by behaviour)."""
    return callable(getattr(error, "show", None)) and isinstance(getattr(error, "exit_code", None), int)


def _interrupted(error: Interrupted) -> None:
    """Say what an interruption stopped (training names its epoch) in one line and exit 130 after Ctrl-C,
    143 after ``SIGTERM``."""
    Console(stderr=True).print(escape(str(error)), highlight=False, soft_wrap=True)
    sys.exit(error.status)


def main() -> None:
    """Console-script entry point: usage errors print the usage and exit 2; ``IrbenchError`` prints one line
    and exits 2; an interruption says what happened and exits 130 (Ctrl-C) or 143 (``SIGTERM``); never a
    traceback for a user's mistake."""
    from irbench.run.determinism import prepare_determinism

    prepare_determinism()  # before torch touches CUDA (imports nothing heavy)
    try:
        status = app(standalone_mode=False)  # click returns a typer.Exit's code instead of raising it
    except Interrupted as error:
        _interrupted(error)
    except IrbenchError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt as error:
        _interrupted(as_interrupted(error))
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except Exception as error:  # click's usage errors and Abort arrive here in non-standalone mode
        if _usage_error(error):
            error.show()
            sys.exit(error.exit_code)
        if type(error).__name__ == "Abort":
            Console(stderr=True).print("aborted")
            sys.exit(1)
        raise
    if isinstance(status, int) and status:
        sys.exit(status)
