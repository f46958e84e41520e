"""``irbench list`` and ``irbench validate``: what is registered, and whether a baseline, task or embedder
keeps its contract."""

from __future__ import annotations

import inspect
import re

import typer
from rich.markup import escape

from irbench.cli.guidance import check_case
from irbench.logs import message_console
from rich.table import Table


def list_entries(
    what: str = typer.Argument(..., help="baselines, tasks, frontends, embedders or taggers"),
) -> None:
    """List registered baselines, tasks, front ends, embedders or taggers.

    Name, source package and a one-line description, plugins' included; HEAR modules are named
    hear:<module> and need no registration."""
    import warnings

    from irbench.baselines import BASELINES
    from irbench.embedders import EMBEDDERS
    from irbench.errors import ConfigError
    from irbench.features import FRONTENDS
    from irbench.taggers import TAGGERS
    from irbench.tasks import TASKS

    registries = {"baselines": BASELINES, "tasks": TASKS, "frontends": FRONTENDS, "embedders": EMBEDDERS,
                  "taggers": TAGGERS}
    if what not in registries:
        raise ConfigError(f"irbench list takes {', '.join(registries)}, not {what!r}")
    registry = registries[what]
    console = message_console(stderr=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        names = registry.names()
    table = Table(title=f"irbench {what}")
    for column in ("name", "package", "description"):
        table.add_column(column)
    for name in names:
        entry = registry.get(name)
        metadata = getattr(entry, "metadata", None)
        description = getattr(entry, "description", None) or (metadata.description if metadata else None)
        table.add_row(escape(name), escape(registry.source(name)),
                      escape(str(description).splitlines()[0] if description else docstring_line(entry.__doc__)))
    console.print(table)
    for warning in caught:
        message_console(stderr=True).print(f"[yellow]warning:[/] {escape(str(warning.message))}", highlight=False)


_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")  # :func:`name` -> name


def docstring_line(doc: str | None) -> str:
    """What ``irbench list`` shows for an entry with no description: its docstring's whole first sentence
    (never cut at the end of the source line), without reStructuredText markup (double backticks, roles such
    as ``:func:``); ``-`` without a docstring."""
    from irbench.cli.pages import first_sentence

    sentence = first_sentence(inspect.cleandoc(doc or ""))
    if not sentence:
        return "-"
    return _ROLE.sub(r"\1", sentence).replace("``", "")


def validate(
    name: str = typer.Argument(..., help="Registered baseline, task, embedder or tagger name, "
                               "hear:<python.module>, probe:<embedder> or zero-shot:<tagger>."),
    config: list[str] = typer.Option([], "--config", "-c", help="Embedder or tagger option key=value (repeatable), "
                                     "e.g. model_file=PATH for a HEAR module's load_model, weights=random."),
) -> None:
    """Check a baseline, a task, an embedder or a tagger against its contract.

    A baseline: builds for every prediction
    type, forward pass shapes, one training step, same seed same output. A task: consistent metadata, and its
    protocol emits the main score, per-class metrics and a rescore for bootstrap intervals on a synthetic
    set. An embedder (hear:<module> or registered): what HEAR's hear-validator checks, plus batch and padding
    independence, determinism, timestamps and sample rate, each with the measured figure. A tagger: unique
    labels, scores (batch, labels) in [0, 1], determinism and batch independence. probe:<embedder> and
    zero-shot:<tagger> check the embedder or tagger they are built on. Exit 1 listing what failed."""
    from irbench.baselines import BASELINES
    from irbench.embedders import is_embedder_name
    from irbench.tasks import TASKS

    check_case(name, "task", "baseline")
    scheme, _, target = name.partition(":")
    if scheme in ("probe", "zero-shot") and target:  # check the embedder or tagger the baseline is built on
        return (_validate_embedder if scheme == "probe" else _validate_tagger)(target, config)

    def embedder() -> bool:
        return ":" in name or (name not in BASELINES and name not in TASKS and is_embedder_name(name))

    kinds = ((embedder, _validate_embedder), (lambda: _is_tagger(name), _validate_tagger),
             (lambda: name in TASKS and name not in BASELINES, _validate_task), (lambda: True, _validate_baseline))
    run = next(validator for matches, validator in kinds if matches())
    run(name, config)


def _refuse_config(name: str, config: list[str]) -> None:
    from irbench.errors import ConfigError

    if config:
        raise ConfigError(f"--config applies to embedders; {name!r} is a baseline or task")


def _validate_task(name: str, config: list[str]) -> None:
    from irbench.validate import validate_task

    _refuse_config(name, config)
    _print_table(name, validate_task(name))


def _validate_baseline(name: str, config: list[str]) -> None:
    from irbench.validate import validate_baseline

    _refuse_config(name, config)
    _print_table(name, validate_baseline(name))


FOUND_COLUMN = 26  # validate's "found" column at most this wide: the check's name keeps 40 of 80 columns


def _print_table(name: str, checks: list) -> None:
    table = Table(title=f"irbench validate {escape(name)}")
    # a long measured figure wraps in its own column rather than squeezing the check's name (at 80 columns)
    for column in ("check", "result"):
        table.add_column(column)
    table.add_column("found", max_width=FOUND_COLUMN)
    for check in checks:
        table.add_row(escape(check.name), "[green]pass[/]" if check.passed else "[red]FAIL[/]", escape(check.detail))
    message_console(stderr=False).print(table)
    if not all(check.passed for check in checks):
        raise typer.Exit(1)


def _validate_embedder(name: str, config: list[str]) -> None:
    """Each embedder check as ok/FAILED with what was measured, at most 80 columns; exit 1 on a failure."""
    from irbench.embedders import parse_options
    from irbench.validate import validate_embedder

    _print_checks(name, validate_embedder(name, parse_options(config)))


def _print_checks(name: str, checks: list) -> None:
    """Embedder or tagger checks (``EmbedderCheck``) as ok/FAILED lines of at most 80 columns; exit 1 on a
    failure."""
    from irbench.embedders.validate import report_lines

    typer.echo(f"irbench validate {name}")
    for line in report_lines(checks, width=80):
        typer.echo(line)
    if not all(check.passed for check in checks):
        raise typer.Exit(1)


def _is_tagger(name: str) -> bool:
    """Whether ``name`` is a registered tagger and no baseline or task (those keep their name)."""
    from irbench.baselines import BASELINES
    from irbench.taggers import TAGGERS
    from irbench.tasks import TASKS

    return ":" not in name and name not in BASELINES and name not in TASKS and name in TAGGERS


def _validate_tagger(name: str, config: list[str]) -> None:
    """Each tagger check as ok/FAILED with what was measured, at most 80 columns; exit 1 on a failure."""
    from irbench.embedders import parse_options
    from irbench.validate import validate_tagger

    _print_checks(name, validate_tagger(name, parse_options(config)))
